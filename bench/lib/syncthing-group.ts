// Three Syncthing instances on 127.0.0.1 for bench/sync.ts: each with its own home (keys from `syncthing generate`),
// one shared folder, every device listed with a fixed loopback address, and everything that reaches beyond this
// machine off (global and local discovery, relays, NAT, usage reports, crash reports, upgrades). Readiness is
// read from each instance's REST API (/rest/system/connections) with a bounded wait.
// Never leaves a process running: stop() ends what start made (SIGTERM, then SIGKILL after a grace).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runChecked, runProgram } from './child-process.js';

/** Syncthing's watcher delay in 1.19 is whole seconds; 1 is its smallest (synclog's debounce here is 50 ms). */
export const SYNCTHING_WATCH_DELAY_S = 1;
const READY_WAIT_MS = 90_000;
const STOP_GRACE_MS = 5_000;

export interface SyncthingGroup {
  dirs: string[];
  version: string;
  stop(): Promise<void>;
}

interface Instance {
  home: string;
  dir: string;
  id: string;
  port: number;
  guiPort: number;
  apiKey: string;
  child?: ChildProcess;
}

/** Why Syncthing cannot run here, or undefined when `syncthing --version` answers. */
export async function syncthingUnavailable(): Promise<string | undefined> {
  const probe = await runProgram('syncthing', ['--version']).catch((error: Error) => ({ code: -1, stdout: '', stderr: error.message }));
  return probe.code === 0 ? undefined : `syncthing is not installed (apt-get install syncthing): ${probe.stderr.trim() || `exit ${probe.code}`}`;
}

function configXml(me: Instance, all: readonly Instance[]): string {
  const devices = all.map((d) => `  <device id="${d.id}" name="${d.id.slice(0, 7)}" compression="metadata" introducer="false"><address>tcp://127.0.0.1:${d.port}</address><paused>false</paused></device>`).join('\n');
  const members = all.map((d) => `    <device id="${d.id}"></device>`).join('\n');
  return `<configuration version="36">
  <folder id="bench" label="bench" path="${me.dir}" type="sendreceive" rescanIntervalS="3600" fsWatcherEnabled="true" fsWatcherDelayS="${SYNCTHING_WATCH_DELAY_S}" ignorePerms="false" autoNormalize="true">
    <filesystemType>basic</filesystemType>
${members}
    <minDiskFree unit="%">0</minDiskFree>
  </folder>
${devices}
  <gui enabled="true" tls="false"><address>127.0.0.1:${me.guiPort}</address><apikey>${me.apiKey}</apikey></gui>
  <options>
    <listenAddress>tcp://127.0.0.1:${me.port}</listenAddress>
    <globalAnnounceEnabled>false</globalAnnounceEnabled>
    <localAnnounceEnabled>false</localAnnounceEnabled>
    <relaysEnabled>false</relaysEnabled>
    <natEnabled>false</natEnabled>
    <urAccepted>-1</urAccepted>
    <startBrowser>false</startBrowser>
    <crashReportingEnabled>false</crashReportingEnabled>
    <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
    <minHomeDiskFree unit="%">0</minHomeDiskFree>
    <setLowPriority>false</setLowPriority>
  </options>
</configuration>
`;
}

async function connectedCount(instance: Instance): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${instance.guiPort}/rest/system/connections`, { headers: { 'X-API-Key': instance.apiKey } });
  if (!res.ok) return 0;
  const body = (await res.json()) as { connections: Record<string, { connected: boolean }> };
  return Object.values(body.connections).filter((c) => c.connected).length;
}

/** Starts three instances, each folder under `work`; resolves once every instance is connected to the other two. */
export async function startSyncthingGroup(work: string, freePort: () => Promise<number>): Promise<SyncthingGroup> {
  const version = (await runChecked('syncthing', ['--version'])).stdout.trim().split(' ').slice(0, 2).join(' ');
  const instances: Instance[] = [];
  for (let i = 0; i < 3; i++) {
    const home = join(work, `st${i}.home`);
    const dir = join(work, `st${i}`);
    // The folder marker Syncthing looks for before it syncs a folder it did not create itself.
    await mkdir(join(dir, '.stfolder'), { recursive: true });
    const generated = await runChecked('syncthing', ['generate', `--home=${home}`, '--no-default-folder', '--skip-port-probing']);
    const id = /Device ID: ([A-Z0-9-]+)/.exec(generated.stdout + generated.stderr)?.[1];
    if (!id) throw new Error(`syncthing generate printed no device id: ${generated.stdout}${generated.stderr}`);
    instances.push({ home, dir, id, port: await freePort(), guiPort: await freePort(), apiKey: randomBytes(16).toString('hex') });
  }
  const group: SyncthingGroup = { dirs: instances.map((s) => s.dir), version, stop: () => stopAll(instances) };
  try {
    for (const s of instances) {
      await writeFile(join(s.home, 'config.xml'), configXml(s, instances));
      s.child = spawn('syncthing', ['serve', `--home=${s.home}`, '--no-browser', '--no-restart', '--no-upgrade', `--logfile=${join(s.home, 'syncthing.log')}`], {
        stdio: 'ignore',
        env: { ...process.env, STNOUPGRADE: '1', STNORESTART: '1' },
      });
    }
    const deadline = Date.now() + READY_WAIT_MS;
    for (;;) {
      const counts = await Promise.all(instances.map((s) => connectedCount(s).catch(() => 0)));
      if (counts.every((c) => c === 2)) break;
      if (Date.now() > deadline) throw new Error(`syncthing instances not connected after ${READY_WAIT_MS / 1000} s (connected: ${counts.join(', ')})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return group;
  } catch (error) {
    await group.stop();
    throw error;
  }
}

async function stopAll(instances: readonly Instance[]): Promise<void> {
  await Promise.all(instances.map((s) => new Promise<void>((resolve) => {
    const child = s.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  })));
}
