// A real nats-server with JetStream for the JetStream tests and benchmark: on 127.0.0.1 only, on a free port found by
// binding port 0 first (retried a bounded number of times if another process takes it in between), its store in a
// temp folder. Stop, kill -9 and restart (same port, same store) are what the fault tests inject. NatsCluster runs
// several of them as one JetStream cluster (client and route ports all ephemeral, on 127.0.0.1), each node killed
// and restarted on its own. No server outlives the process that started it (SETPRIV below). CI installs the server
// (.ci/run); a test file skips only when it is absent (`NATS_SERVER` is then undefined).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = [...(process.env.PATH ?? '').split(':').map((dir) => join(dir, 'nats-server')), '/usr/sbin/nats-server', '/usr/bin/nats-server'];

/** The nats-server binary, or undefined when it is not installed. */
export const NATS_SERVER: string | undefined = CANDIDATES.find((path) => path !== 'nats-server' && existsSync(path));

/**
 * util-linux's setpriv, which runs the server with a parent-death signal: a test process that dies without stopping
 * its servers (a worker killed, a run interrupted) takes them with it, where an idle nats-server would otherwise
 * live on. It execs the server, so the child's pid is the server's own and kill -9 still reaches the server.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

/** Servers running now: killed when this process exits (the last resort where setpriv is missing). */
const LIVE = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of LIVE) child.kill('SIGKILL');
});

/** The reason a JetStream test file is skipped (only when the server is absent). */
export const NATS_SKIP_REASON = 'nats-server is not installed (apt-get install nats-server; .ci/run does)';

const START_ATTEMPTS = 5;
const READY_TIMEOUT_MS = 20_000;

/** A port nobody holds right now on 127.0.0.1 (bound with port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

export interface NatsServerOptions {
  /** Extra arguments (a token: ['--auth', TOKEN]; a cluster: ['--cluster', …, '--routes', …]). */
  args?: readonly string[];
  /** A config file's text (written next to the store) instead of command-line options for auth or limits. */
  config?: string;
  /** The node's name (`-n`): a cluster's nodes must differ, and JetStream reports leaders by it. */
  name?: string;
}

export class NatsServer {
  private child: ChildProcess | undefined;
  private log = '';

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly options: NatsServerOptions,
  ) {}

  /** Starts a server on a free port (bounded retries when the port is taken before the server binds it). */
  static async start(options: NatsServerOptions = {}, port?: number): Promise<NatsServer> {
    if (!NATS_SERVER) throw new Error(NATS_SKIP_REASON);
    // Not tmp-dir.ts's (removed after each test): a server started in beforeAll outlives tests, and the bench uses
    // this helper outside vitest. stop() removes it.
    const storeDir = await mkdtemp(join(tmpdir(), 'synclog-nats-'));
    let lastError: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      const server = new NatsServer(port ?? (await freePort()), storeDir, options);
      try {
        await server.launch();
        return server;
      } catch (error) {
        lastError = error;
        await server.kill();
        if (port !== undefined) break;
      }
    }
    await rm(storeDir, { recursive: true, force: true });
    throw lastError;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  private async launch(): Promise<void> {
    const name = this.options.name !== undefined ? ['-n', this.options.name] : [];
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, ...name, ...(this.options.args ?? [])];
    if (this.options.config !== undefined) {
      const { writeFile } = await import('node:fs/promises');
      const configPath = join(this.storeDir, 'server.conf');
      await writeFile(configPath, this.options.config);
      args.push('-c', configPath);
    }
    this.log = '';
    const child = SETPRIV
      ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', NATS_SERVER!, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(NATS_SERVER!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    LIVE.add(child);
    child.once('exit', () => LIVE.delete(child));
    child.stdout!.on('data', (d) => (this.log += d));
    child.stderr!.on('data', (d) => (this.log += d));
    const started = Date.now();
    while (Date.now() - started < READY_TIMEOUT_MS) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nats-server exited: ${this.log.slice(-2000)}`);
      if (this.log.includes('Server is ready') && (await canConnect(this.port))) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`nats-server not ready after ${READY_TIMEOUT_MS} ms: ${this.log.slice(-2000)}`);
  }

  /** What the server printed (for a failing test's message). */
  get output(): string {
    return this.log;
  }

  get name(): string | undefined {
    return this.options.name;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** kill -9 (nothing flushed by the server beyond what it already wrote), then wait for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** Starts it again on the same port with the same store (JetStream recovers its streams from there). */
  async restart(): Promise<void> {
    await this.kill();
    await this.startAgain();
  }

  /** Starts a killed or stopped server again on its port and store. */
  async startAgain(): Promise<void> {
    if (this.running) return;
    let lastError: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      try {
        await this.launch();
        return;
      } catch (error) {
        lastError = error;
        await this.kill();
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    throw lastError;
  }

  /** SIGTERM, then its store is removed. */
  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    await rm(this.storeDir, { recursive: true, force: true });
  }
}

/** The name of a test cluster (`--cluster_name`); its nodes are `n1`, `n2`, … */
export const CLUSTER_NAME = 'synclog-test';

/**
 * A JetStream cluster of `size` nats-servers on 127.0.0.1: each with a client port and a route port found free (port
 * 0), routes to every other node. Ready once JetStream has a meta leader (streams can be created). Starting it again
 * after a failed launch (a port taken in between) picks all new ports, a bounded number of times.
 */
export class NatsCluster {
  private constructor(readonly nodes: readonly NatsServer[]) {}

  static async start(options: { size?: number; args?: readonly string[] } = {}): Promise<NatsCluster> {
    const size = options.size ?? 3;
    let lastError: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      const clientPorts: number[] = [];
      const routePorts: number[] = [];
      for (let i = 0; i < size; i++) {
        clientPorts.push(await freePort());
        routePorts.push(await freePort());
      }
      const started: NatsServer[] = [];
      try {
        await Promise.all(
          clientPorts.map(async (port, i) => {
            const routes = routePorts.filter((_, j) => j !== i).map((p) => `nats://127.0.0.1:${p}`).join(',');
            const args = ['--cluster_name', CLUSTER_NAME, '--cluster', `nats://127.0.0.1:${routePorts[i]}`, '--routes', routes, ...(options.args ?? [])];
            started.push(await NatsServer.start({ name: `n${i + 1}`, args }, port));
          }),
        );
        const cluster = new NatsCluster(clientPorts.map((port) => started.find((node) => node.port === port)!));
        await cluster.waitForMetaLeader();
        return cluster;
      } catch (error) {
        lastError = error;
        await Promise.all(started.map((node) => node.stop()));
      }
    }
    throw lastError;
  }

  /** Every node's client URL, comma separated: what `--to` and `--from` take for a cluster. */
  get url(): string {
    return this.nodes.map((node) => node.url).join(',');
  }

  node(name: string): NatsServer {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name} in ${this.nodes.map((n) => n.name).join(', ')}`);
    return node;
  }

  /** Until some node's log says the cluster elected a JetStream meta leader (each node prints it when it learns). */
  async waitForMetaLeader(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      if (this.nodes.some((node) => /JetStream cluster new metadata leader|Self is new JetStream cluster metadata leader/.test(node.output))) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no JetStream meta leader after ${timeoutMs} ms: ${this.nodes.map((n) => `${n.name}: ${n.output.slice(-800)}`).join('\n')}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}
