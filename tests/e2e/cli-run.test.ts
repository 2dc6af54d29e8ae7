// `synclog run --config FILE` as a service runs it, real processes on 127.0.0.1: one config starts watch + serve +
// a local receiver and a change flows into the receiver's tree; a second `run` receives from the first's URL;
// `status` reads the running service; SIGTERM mid-burst records what was pending (exit 0) and loses nothing
// acknowledged; hooks that hang or fail never stop recording; a name with shell metacharacters reaches an exec
// hook as data; past the inotify limit (in a user namespace of its own) the count and the fix are said once; a
// folder with `every` is snapshotted without live watching; `run --check` exit codes.
import type { ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canLowerInotifyLimit, spawnCliWithInotifyLimit } from '../helpers/inotify-limit.js';
import { runCli, spawnCli, waitForStderrLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/** These tests start several processes: on a loaded 2-core machine (load 20+) they need more than the default. */
const SLOW_TEST_MS = 240_000;
/** How long to keep looking for a line or a file (an upper bound, not a timing assertion). */
const WAIT_MS = 120_000;

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('close', (code) => resolve(code))));
}

async function fileText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

/** The JSON log lines a `run --log-format json` child wrote so far. */
function jsonLines(child: ChildProcess): { lines: Record<string, unknown>[] } {
  const out = { lines: [] as Record<string, unknown>[] };
  let buffer = '';
  child.stderr!.on('data', (data: Buffer) => {
    buffer += data.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    for (const part of parts) if (part.startsWith('{')) out.lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  return out;
}

describe('synclog run', { timeout: SLOW_TEST_MS }, () => {
  it('starts watch + serve + a receiver from one config; a change flows to both mirrors; status reads it; SIGTERM exits 0', async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'docs'));
    await writeFile(join(work, 'docs', 'a.txt'), 'alpha\n');
    await writeFile(join(work, 'a.toml'), 'log = "log"\n[[folders]]\npath = "docs"\n[serve]\nlisten = "127.0.0.1:0"\n[[receivers]]\nout = "mirror"\n');
    const a = spawnCli(['run', '--config', join(work, 'a.toml')]);
    const children = [a];
    try {
      const serving = await waitForStderrLine(a, /^serve: serving /, WAIT_MS);
      const url = /on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(serving)![1]!;
      await waitForStderrLine(a, /^run: ready: /, WAIT_MS);
      await waitFor(async () => (await fileText(join(work, 'mirror', 'docs', 'a.txt'))) === 'alpha\n', 'the initial scan in the local mirror', WAIT_MS);
      // A second service receives from the first's server.
      await writeFile(join(work, 'b.toml'), `log = "log-b"\n[[receivers]]\nout = "remote"\nfrom = "${url}"\n`);
      const b = spawnCli(['run', '--config', join(work, 'b.toml')]);
      children.push(b);
      await waitForStderrLine(b, /^run: ready: /, WAIT_MS);
      await writeFile(join(work, 'docs', 'b.txt'), 'bravo, live\n');
      await waitFor(async () => (await fileText(join(work, 'mirror', 'docs', 'b.txt'))) === 'bravo, live\n', 'the live change in the local mirror', WAIT_MS);
      await waitFor(async () => (await fileText(join(work, 'remote', 'docs', 'b.txt'))) === 'bravo, live\n', 'the live change in the remote mirror', WAIT_MS);
      const status = await runCli(['status', '--config', join(work, 'a.toml'), '--json']);
      expect(status.code, status.stdout + status.stderr).toBe(0);
      const view = JSON.parse(status.stdout) as { service: { running: boolean; components: { kind: string; state: string }[]; lastDurable: { display: string } }; attention: string[] };
      expect(view.service.running).toBe(true);
      expect(view.service.components.map((c) => c.kind).sort()).toEqual(['receiver', 'serve', 'watch']);
      expect(view.attention).toEqual([]);
    } finally {
      for (const child of children) child.kill('SIGTERM');
    }
    expect(await Promise.all(children.map(exited))).toEqual([0, 0]);
    const after = await runCli(['status', '--config', join(work, 'a.toml')]);
    expect(after.stdout).toMatch(/service: stopped/);
    expect(after.code).toBe(0);
  });

  it('SIGTERM mid-burst: the pending changes are recorded before exit 0, nothing acknowledged is lost', async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'docs'));
    // A long debounce keeps the burst pending: only the stop can record it.
    await writeFile(join(work, 's.toml'), 'log = "log"\n[[folders]]\npath = "docs"\ndebounce = "30s"\n');
    const run = spawnCli(['run', '--config', join(work, 's.toml'), '--log-format', 'json']);
    const log = jsonLines(run);
    await waitForStderrLine(run, /"event":"ready","message":"ready/, WAIT_MS);
    const names = Array.from({ length: 60 }, (_, i) => `f${String(i).padStart(3, '0')}.txt`);
    for (const name of names) await writeFile(join(work, 'docs', name), `content of ${name}\n`);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // let inotify deliver; not a timing assertion
    const acknowledgedBefore = log.lines.filter((l) => l.event === 'version').length;
    run.kill('SIGTERM');
    expect(await exited(run)).toBe(0);
    const acknowledged = log.lines.filter((l) => l.event === 'version').map((l) => (l.change as { path: string }).path);
    expect(acknowledged.length).toBeGreaterThan(acknowledgedBefore); // the stop recorded what was pending
    const out = join(work, 'out');
    expect((await runCli(['receive', '--log', join(work, 'log'), '--out', out, '--once'])).code).toBe(0);
    for (const name of acknowledged) expect(await fileText(join(out, 'docs', name))).toBe(`content of ${name}\n`);
    expect((await runCli(['verify', '--log', join(work, 'log')])).code).toBe(0);
    // What the stop did not see (events still on their way), the next start's scan records: nothing is missing.
    const again = spawnCli(['run', '--config', join(work, 's.toml')]);
    await waitForStderrLine(again, /^run: ready: /, WAIT_MS);
    again.kill('SIGTERM');
    expect(await exited(again)).toBe(0);
    expect((await runCli(['receive', '--log', join(work, 'log'), '--out', out, '--once'])).code).toBe(0);
    expect((await readdir(join(out, 'docs'))).sort()).toEqual(names);
  });

  it('hooks that hang or fail never stop recording; a name with shell metacharacters reaches an exec hook as data', async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'docs'));
    await mkdir(join(work, 'seen'));
    await writeFile(join(work, 'secret'), 'a-long-webhook-secret-0123456789\n');
    await writeFile(
      join(work, 'record.mjs'),
      `import { writeFileSync } from 'node:fs';\nlet input = '';\nprocess.stdin.on('data', (d) => (input += d));\nprocess.stdin.on('end', () => writeFileSync(process.argv[2] + '/' + process.env.SYNCLOG_SEQ + '.json', JSON.stringify({ env: process.env.SYNCLOG_PATH, stdin: JSON.parse(input).change.path })));\n`,
    );
    const config = [
      'log = "log"',
      '[[folders]]',
      'path = "docs"',
      '[[receivers]]',
      'out = "mirror"',
      '[[hooks]]',
      'name = "hangs"',
      'exec = ["/bin/sleep", "600"]',
      'timeout = "1s"',
      '[[hooks]]',
      'name = "fails"',
      'exec = ["/bin/false"]',
      '[[hooks]]',
      'name = "nobody-listens"',
      'url = "http://127.0.0.1:1/hook"',
      'secret_file = "secret"',
      'retries = 2',
      '[[hooks]]',
      'name = "records"',
      `exec = [${JSON.stringify(process.execPath)}, "record.mjs", "seen"]`,
      'events = ["created"]',
      'paths = ["docs/*;*"]',
    ].join('\n');
    await writeFile(join(work, 'h.toml'), `${config}\n`);
    const run = spawnCli(['run', '--config', join(work, 'h.toml')]);
    let code: number | null;
    const hostile = `x; touch pwned $(touch pwned2) \`touch pwned3\` 'q" | y & > z.txt`;
    try {
      await waitForStderrLine(run, /^run: ready: /, WAIT_MS);
      const names = Array.from({ length: 20 }, (_, i) => `n${i}.txt`);
      for (const name of names) await writeFile(join(work, 'docs', name), name);
      await writeFile(join(work, 'docs', hostile), 'hostile\n');
      await waitFor(async () => (await readdir(join(work, 'mirror', 'docs')).catch(() => [])).length === names.length + 1, 'every change in the mirror while the hooks hang and fail', WAIT_MS, 200);
      await waitFor(async () => (await readdir(join(work, 'seen'))).length === 1, 'the recording hook', WAIT_MS);
      const [seenFile] = await readdir(join(work, 'seen'));
      expect(JSON.parse((await fileText(join(work, 'seen', seenFile!)))!)).toEqual({ env: hostile, stdin: hostile });
      await waitFor(async () => JSON.parse((await fileText(join(work, 'log.status.json'))) ?? '{"hooks":[]}').hooks.some((h: { name: string; failed: number }) => h.name === 'hangs' && h.failed > 0), 'the hanging hook counted as failed', WAIT_MS, 250);
      // A hook that failed for good is an error of the last hour: status says so and exits 1 (monitoring sees it).
      await waitFor(async () => JSON.parse((await fileText(join(work, 'log.status.json'))) ?? '{"errors":[]}').errors.some((e: { component: string }) => e.component === 'hook'), 'a hook error in the status file', WAIT_MS, 250);
      const status = await runCli(['status', '--config', join(work, 'h.toml'), '--json']);
      expect(status.code, status.stderr).toBe(1);
      expect((JSON.parse(status.stdout) as { attention: string[] }).attention).toContainEqual(expect.stringMatching(/errors? in the last hour, the last: hook: /));
    } finally {
      run.kill('SIGTERM');
      code = await exited(run);
    }
    expect(code).toBe(0);
    expect((await readdir(work)).filter((n) => n.startsWith('pwned'))).toEqual([]);
    expect((await readdir(join(work, 'docs'))).filter((n) => n.startsWith('pwned'))).toEqual([]);
    const status = JSON.parse((await fileText(join(work, 'log.status.json')))!) as { hooks: { name: string; failed: number; delivered: number }[] };
    expect(status.hooks.find((h) => h.name === 'fails')!.failed).toBeGreaterThan(0);
  });

  it('past the inotify limit: says how many watches the folders need and how to raise it, once, not per directory', async () => {
    // A user namespace of its own (unshare -U -r) has its own inotify limit, so the test lowers it to 10 there and
    // the machine's limit is left alone. Where unshare cannot make one, the test says so and checks nothing.
    if (!canLowerInotifyLimit(10)) {
      console.log('unshare -U -r with a writable /proc/sys/user/max_inotify_watches is not available here: inotify-limit run not checked');
      return;
    }
    const work = await makeTmpDir();
    for (let i = 0; i < 30; i++) await mkdir(join(work, 'docs', `d${i}`), { recursive: true });
    await writeFile(join(work, 'i.toml'), 'log = "log"\n[[folders]]\npath = "docs"\n');
    const run = spawnCliWithInotifyLimit(10, ['run', '--config', join(work, 'i.toml')]);
    let stderr = '';
    run.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
    let code: number | null;
    try {
      await waitForStderrLine(run, /^run: ready: /, WAIT_MS);
      await waitFor(async () => stderr.includes('error: out of inotify watches: the live folders'), 'the advice after running out of watches', WAIT_MS, 100);
    } finally {
      run.kill('SIGTERM');
      code = await exited(run);
    }
    expect(code).toBe(0);
    // At start (the limit is below what the folders need) and when the watcher runs out: the count and the fix.
    expect(stderr).toContain('watch: warn: the live folders have 31 directories, each needing an inotify watch, and fs.inotify.max_user_watches is 10: raise it with `sudo sysctl fs.inotify.max_user_watches=64`');
    expect(stderr).toContain('watch: error: out of inotify watches: the live folders have 31 directories');
    // Some twenty directories could not be watched: one line says so, not one per directory.
    expect(stderr.split('\n').filter((line) => line.includes('out of inotify watches while watching'))).toHaveLength(1);
  });

  it('under journald ($JOURNAL_STREAM) each text line starts with its syslog priority; one line per event', async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'docs'));
    await writeFile(join(work, 'j.toml'), 'log = "log"\n[[folders]]\npath = "docs"\n[[hooks]]\nexec = ["/bin/false"]\n');
    const run = spawnCli(['run', '--config', join(work, 'j.toml')], { env: { JOURNAL_STREAM: '8:12345' } });
    let stderr = '';
    run.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
    let code: number | null;
    try {
      await waitForStderrLine(run, /^<6>run: ready: /, WAIT_MS);
      await writeFile(join(work, 'docs', 'a.txt'), 'a');
      await waitFor(() => stderr.includes('<3>hook: error: hooks[0]: created docs/a.txt: /bin/false exited with status 1'), 'the failed hook at priority 3', WAIT_MS, 100);
    } finally {
      run.kill('SIGTERM');
      code = await exited(run);
    }
    expect(code).toBe(0);
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toContain('<6>watch: created  docs/a.txt  1 B');
    expect(lines.filter((line) => !/^<[36]>[a-z]+: /.test(line))).toEqual([]);
  });

  it('snapshots a folder with `every` periodically, without live watching', async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'photos'));
    await writeFile(join(work, 'photos', 'one.jpg'), 'one');
    await writeFile(join(work, 'p.toml'), 'log = "log"\n[[folders]]\npath = "photos"\nevery = "2s"\njitter = "0s"\n[[receivers]]\nout = "mirror"\n');
    const run = spawnCli(['run', '--config', join(work, 'p.toml')]);
    try {
      await waitForStderrLine(run, /^snapshot: snapshot of .*: 1 versions/, WAIT_MS);
      await writeFile(join(work, 'photos', 'two.jpg'), 'two');
      await waitFor(async () => (await fileText(join(work, 'mirror', 'photos', 'two.jpg'))) === 'two', 'the next pass to record the new file', WAIT_MS, 200);
      const status = JSON.parse((await runCli(['status', '--config', join(work, 'p.toml'), '--json'])).stdout) as { service: { components: { kind: string }[] } };
      expect(status.service.components.map((c) => c.kind).sort()).toEqual(['receiver', 'snapshot']);
    } finally {
      run.kill('SIGTERM');
    }
    expect(await exited(run)).toBe(0);
  });

  it('--check: 0 for a valid config, 2 with FILE:LINE: KEY for each problem; run refuses a bad one the same way', async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'docs'));
    await writeFile(join(work, 'ok.toml'), 'log = "log"\n[[folders]]\npath = "docs"\n');
    const ok = await runCli(['run', '--check', '--config', join(work, 'ok.toml')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/ok: 1 folder watched live/);
    await writeFile(join(work, 'bad.toml'), 'log = "log"\n[[folders]]\npath = "docs"\nexlude = ["*.tmp"]\n');
    for (const args of [['run', '--check'], ['run']]) {
      const bad = await runCli([...args, '--config', join(work, 'bad.toml')]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('bad.toml:4: folders[0].exlude: unknown key');
    }
    expect(await readdir(work)).not.toContain('log');
    // status of a config that never ran: attention (exit 1), said as such.
    const never = await runCli(['status', '--config', join(work, 'ok.toml'), '--json']);
    expect(never.code).toBe(1);
    expect(JSON.parse(never.stdout)).toMatchObject({ service: null, attention: [expect.stringContaining('has not run (synclog run --config FILE)')] });
    const json = await runCli(['run', '--check', '--json', '--config', join(work, 'bad.toml')]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, problems: [{ line: 4, key: 'folders[0].exlude' }] });
    // The same config as JSON (a .json file name): valid, then one bad duration named by line and key.
    await writeFile(join(work, 'ok.json'), '{\n  "log": "log",\n  "folders": [{"path": "docs", "every": "1h"}]\n}\n');
    const okJson = await runCli(['run', '--check', '--config', join(work, 'ok.json')]);
    expect(okJson.code, okJson.stderr).toBe(0);
    expect(okJson.stdout).toMatch(/ok: 0 folders watched live, 1 snapshotted periodically/);
    await writeFile(join(work, 'bad.json'), '{\n  "log": "log",\n  "folders": [\n    {"path": "docs", "every": "1 hour"}\n  ]\n}\n');
    const badJson = await runCli(['run', '--check', '--config', join(work, 'bad.json')]);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain('bad.json:4: folders[0].every: expected a duration');
    // --json without --check is refused, not ignored (log lines are --log-format json).
    const jsonRun = await runCli(['run', '--json', '--config', join(work, 'ok.toml')]);
    expect(jsonRun.code).toBe(2);
    expect(JSON.parse(jsonRun.stdout)).toMatchObject({ ok: false, error: { code: 'SYNCLOG_USAGE', message: expect.stringContaining('--json goes with --check') } });
    // A config that is not there is a bad config too (exit 2: a unit restarting on it would fail the same way).
    const missing = await runCli(['run', '--check', '--json', '--config', join(work, 'no-such.toml')]);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, problems: [{ key: '', message: expect.stringContaining('cannot be read: ENOENT: no such file') }] });
    expect((await runCli(['run', '--config', join(work, 'no-such.toml')])).code).toBe(2);
    // --check also looks at the disk: a folder that is not there would fail every start.
    await writeFile(join(work, 'gone.toml'), 'log = "log"\n[[folders]]\npath = "docs"\n[[folders]]\npath = "not-mounted"\n');
    const gone = await runCli(['run', '--check', '--config', join(work, 'gone.toml')]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain(`gone.toml:5: folders[1].path: ${join(work, 'not-mounted')} does not exist`);
  });
});

describe('synclog run webhooks', { timeout: SLOW_TEST_MS }, () => {
  it('POST each selected event to a test server on 127.0.0.1, signed with HMAC-SHA256 over the body', async () => {
    const { createServer } = await import('node:http');
    const { createHmac } = await import('node:crypto');
    const work = await makeTmpDir();
    await mkdir(join(work, 'docs'));
    const secret = 'webhook-secret-for-the-e2e-test-42';
    await writeFile(join(work, 'secret'), `${secret}\n`);
    const got: { body: string; signature: string; event: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        got.push({ body, signature: String(req.headers['x-synclog-signature']), event: String(req.headers['x-synclog-event']) });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await writeFile(join(work, 'w.toml'), `log = "log"\n[[folders]]\npath = "docs"\n[[hooks]]\nurl = "http://127.0.0.1:${port}/hook"\nsecret_file = "secret"\nevents = ["created"]\npaths = ["*.md"]\n`);
    const run = spawnCli(['run', '--config', join(work, 'w.toml')]);
    try {
      await waitForStderrLine(run, /^run: ready: /, WAIT_MS);
      await writeFile(join(work, 'docs', 'skip.txt'), 'not selected');
      await writeFile(join(work, 'docs', 'note.md'), '# selected');
      await waitFor(() => got.length >= 1, 'the webhook delivery', WAIT_MS);
    } finally {
      run.kill('SIGTERM');
      expect(await exited(run)).toBe(0);
      server.close();
    }
    expect(got).toHaveLength(1);
    const [delivery] = got;
    expect(delivery!.signature).toBe(`sha256=${createHmac('sha256', secret).update(delivery!.body).digest('hex')}`);
    expect(delivery!.event).toBe('created');
    expect(JSON.parse(delivery!.body)).toMatchObject({ v: 1, kind: 'created', change: { display: 'docs/note.md', size: 10 } });
  });
});
