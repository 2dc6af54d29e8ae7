// Hooks on real processes and a real HTTP server on 127.0.0.1: a file name full of shell metacharacters reaches an
// exec hook as data (environment and stdin), never as a command; a hanging hook is killed at its timeout and the
// next event still runs; a full queue drops (and counts) instead of waiting; a webhook's HMAC-SHA256 signature
// checks against the body, a 503 is retried and a 400 is not.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHooks, Hook, signBody, type HookReports } from '../../../src/service/hooks.js';
import { changeEvent, type HookEvent } from '../../../src/service/hook-event.js';
import type { HookConfig } from '../../../src/service/index.js';
import type { WatcherChange } from '../../../src/watcher/index.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

const HOSTILE = `a; touch pwned $(touch pwned2) \`touch pwned3\` 'q" | rm -rf x & > y.txt`;

function change(path: string): WatcherChange {
  return { change: 'created', versionId: '01a2b3c4d5e6f7a8b9c0', root: 'docs', path, display: `docs/${path}`, type: 'file', size: 3, seq: 7, time: 1_796_000_000_000 };
}

function hookConfig(over: Partial<HookConfig>): HookConfig {
  return { name: 'h', exec: undefined, cwd: '/', url: undefined, secretFile: undefined, events: [], paths: [], timeoutMs: 10_000, retries: 0, ...over };
}

function reports(): HookReports & { failures: string[]; fulls: number } {
  const r = { failures: [] as string[], fulls: 0, failed: (_h: string, _e: HookEvent, reason: string) => r.failures.push(reason), full: () => void r.fulls++ };
  return r;
}

describe('exec hooks', () => {
  it('hand a file name with shell metacharacters over as data: environment and stdin JSON, nothing run', async () => {
    const dir = await makeTmpDir();
    const script = join(dir, 'hook.mjs');
    await writeFile(
      script,
      `import { writeFileSync } from 'node:fs';\nlet input = '';\nprocess.stdin.on('data', (d) => (input += d));\nprocess.stdin.on('end', () => writeFileSync(process.argv[2], JSON.stringify({ env: process.env.SYNCLOG_PATH, kind: process.env.SYNCLOG_EVENT, stdin: JSON.parse(input), arg: process.argv[3] })));\n`,
    );
    const out = join(dir, 'out.json');
    const r = reports();
    const [hook] = await createHooks([hookConfig({ exec: [process.execPath, script, out, '$(touch pwned4)'] })], r);
    expect(hook!.offer(changeEvent(change(HOSTILE)))).toBe(true);
    await waitFor(() => hook!.counters.delivered === 1, 'the hook to run');
    const seen = JSON.parse(await readFile(out, 'utf8')) as { env: string; kind: string; stdin: HookEvent; arg: string };
    expect(seen.env).toBe(HOSTILE);
    expect(seen.kind).toBe('created');
    expect(seen.stdin.change!.path).toBe(HOSTILE);
    expect(seen.arg).toBe('$(touch pwned4)');
    expect((await readdir(dir)).filter((n) => n.startsWith('pwned'))).toEqual([]);
    await hook!.close(1000);
  });

  it('kill a hanging hook at its timeout, count the failure, and run the next event', async () => {
    const dir = await makeTmpDir();
    const r = reports();
    const marker = join(dir, 'ran');
    const hang = new Hook(hookConfig({ exec: ['/bin/sh'], timeoutMs: 300 }), (event, signal) => import('../../../src/service/hooks.js').then((m) => m.runExec(event.change!.path === 'hang' ? ['/bin/sleep', '600'] : ['/bin/sh', '-c', `: > "$0"`, marker], event, 300, signal)), r);
    hang.offer(changeEvent(change('hang')));
    hang.offer(changeEvent(change('next')));
    await waitFor(() => hang.counters.delivered === 1 && hang.counters.failed === 1, 'the timeout and the next run');
    expect(r.failures[0]).toMatch(/timed out after 300 ms/);
    expect(await readFile(marker, 'utf8')).toBe('');
    await hang.close(100);
  });

  it('never wait when the queue is full: new events are dropped and counted, once said', async () => {
    const r = reports();
    const hook = new Hook(hookConfig({ exec: ['/bin/true'] }), (_e, signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())), r);
    const started = Date.now();
    let accepted = 0;
    for (let i = 0; i < 1500; i++) if (hook.offer(changeEvent(change(`f${i}`)))) accepted++;
    expect(Date.now() - started).toBeLessThan(5_000); // synchronous: a bound far above the time 1500 pushes take
    expect(accepted).toBe(1000);
    expect(hook.counters.dropped).toBe(500);
    expect(r.fulls).toBe(1);
    await hook.close(10);
    expect(hook.counters.dropped).toBe(1499); // the stop dropped the ones never run (the running one was delivered)
  });

  it('filter by kind and by path pattern', () => {
    const hook = new Hook(hookConfig({ exec: ['/bin/true'], events: ['modified'], paths: ['*.md', 'sub/'] }), async () => {}, reports());
    const at = (path: string, kind: WatcherChange['change']) => changeEvent({ ...change(path), change: kind });
    expect(hook.wants(at('a.md', 'modified'))).toBe(true);
    expect(hook.wants(at('a.md', 'created'))).toBe(false);
    expect(hook.wants(at('a.txt', 'modified'))).toBe(false);
    expect(hook.wants(at('sub/deep/a.txt', 'modified'))).toBe(true);
  });
});

describe('webhooks', () => {
  it('POST the event JSON signed with HMAC-SHA256 over the body; a 503 is retried, then it is delivered', async () => {
    const dir = await makeTmpDir();
    const secret = 'a-long-webhook-secret-0123456789';
    await writeFile(join(dir, 'secret'), `${secret}\n`);
    const got: { status: number; body: string; signature: string; delivery: string }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const status = got.length === 0 ? 503 : 204;
        got.push({ status, body, signature: String(req.headers['x-synclog-signature']), delivery: String(req.headers['x-synclog-delivery']) });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const r = reports();
      const [hook] = await createHooks([hookConfig({ url, secretFile: join(dir, 'secret'), retries: 3, timeoutMs: 5000 })], r);
      const event = changeEvent(change(HOSTILE));
      hook!.offer(event);
      await waitFor(() => hook!.counters.delivered === 1, 'the webhook delivery');
      expect(got.map((g) => g.status)).toEqual([503, 204]);
      const last = got[1]!;
      expect(JSON.parse(last.body)).toEqual(event);
      // What a receiver does: recompute over the raw body with the shared secret.
      expect(last.signature).toBe(`sha256=${createHmac('sha256', secret).update(last.body).digest('hex')}`);
      expect(last.signature).not.toBe(signBody(Buffer.from('another-secret-0123456789'), Buffer.from(last.body)));
      expect(got[0]!.delivery).toBe(last.delivery); // one delivery id across its attempts
      await hook!.close(100);
    } finally {
      server.close();
    }
  });

  it('do not retry a 400: the failure is counted with the status', async () => {
    const dir = await makeTmpDir();
    await writeFile(join(dir, 'secret'), 'a-long-webhook-secret-0123456789');
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => res.writeHead(400).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const r = reports();
      const [hook] = await createHooks([hookConfig({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, secretFile: join(dir, 'secret'), retries: 5 })], r);
      hook!.offer(changeEvent(change('a.txt')));
      await waitFor(() => hook!.counters.failed === 1, 'the failure');
      expect(requests).toBe(1);
      expect(r.failures[0]).toMatch(/HTTP 400/);
      await hook!.close(100);
    } finally {
      server.close();
    }
  });

  it('give up after the retries (1 + retries attempts), count the failure, and go on to the next event', async () => {
    const dir = await makeTmpDir();
    await writeFile(join(dir, 'secret'), 'a-long-webhook-secret-0123456789');
    const paths: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        paths.push((JSON.parse(body) as { change: { path: string } }).change.path);
        res.writeHead(503).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const r = reports();
      const [hook] = await createHooks([hookConfig({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, secretFile: join(dir, 'secret'), retries: 2, timeoutMs: 5000 })], r);
      hook!.offer(changeEvent(change('a.txt')));
      hook!.offer(changeEvent(change('b.txt')));
      await waitFor(() => hook!.counters.failed === 2, 'both events given up', 30_000);
      expect(paths).toEqual(['a.txt', 'a.txt', 'a.txt', 'b.txt', 'b.txt', 'b.txt']);
      expect(r.failures).toEqual([expect.stringMatching(/HTTP 503/), expect.stringMatching(/HTTP 503/)]);
      expect(hook!.counters).toMatchObject({ delivered: 0, failed: 2, dropped: 0, queued: 0 });
      await hook!.close(100);
    } finally {
      server.close();
    }
  });

  it('refuse a short secret at start', async () => {
    const dir = await makeTmpDir();
    await writeFile(join(dir, 'secret'), 'short\n');
    await expect(createHooks([hookConfig({ url: 'http://127.0.0.1:1/', secretFile: join(dir, 'secret') })], reports())).rejects.toThrow(/shorter than 16 bytes/);
  });
});
