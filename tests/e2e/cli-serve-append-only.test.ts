// `synclog serve --accept-push --append-only`: a push token may add versions but a pushed forget record (or a
// prune's placeholder) is refused with 403 and the server's log stays byte for byte as it was; the operator's own
// `synclog forget` on the server's log still works once the server is stopped.
import type { ChildProcess } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRecordHeadForPush, encodeRecordsHead } from '../../src/net/push-protocol.js';
import { encodeRecord, newVersionId, type LogRecord } from '../../src/record/index.js';
import { buildRetentionLog } from '../helpers/retention-log.js';
import { runCli, spawnCli, waitForLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const PUSH = 'push-token-append-only-0123456789';

function post(url: string, path: string, body: Uint8Array, token: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path.slice(1), url), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-length': String(body.length) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function recordsBody(records: LogRecord[]): Buffer {
  const pieces: Uint8Array[] = [encodeRecordsHead('0-2222222222222222')];
  records.forEach((record, i) => {
    const { tag, payload } = encodeRecord(record);
    pieces.push(encodeRecordHeadForPush({ seq: i + 1, tag, payload }), payload);
  });
  pieces.push(Uint8Array.of(3));
  return Buffer.concat(pieces);
}

async function segmentsHex(dir: string): Promise<string> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort();
  return (await Promise.all(names.map(async (n) => `${n}:${(await readFile(join(dir, n))).toString('hex')}`))).join('\n');
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('close', (code) => resolve(code))));
}

describe('synclog serve --append-only', () => {
  it('refuses a pushed forget and a pushed placeholder (403), changing nothing', { timeout: 120_000 }, async () => {
    const work = await makeTmpDir();
    const logDir = join(work, 'log');
    const built = await buildRetentionLog(logDir, { paths: 1, versions: 3, bytes: 2048 });
    const tokens = join(work, 'tokens');
    await writeFile(tokens, `push:${PUSH}\n`);
    const serve = spawnCli(['serve', '--log', logDir, '--listen', '127.0.0.1:0', '--token-file', tokens, '--accept-push', '--append-only', '--json']);
    try {
      const listening = JSON.parse(await waitForLine(serve, /"event":"listening"/)) as { url: string; appendOnly?: boolean };
      expect(listening.appendOnly).toBe(true);
      const before = await segmentsHex(logDir);
      const forget = await post(listening.url, '/v1/push/records', recordsBody([{ kind: 'forget', time: Date.now(), policy: '--keep-last 1', versionIds: [built[0]!.versionId] }]), PUSH);
      expect(forget.status).toBe(403);
      expect(forget.text).toMatch(/append-only/);
      expect(forget.text).toMatch(/SYNCLOG_AUTH/);
      const placeholder = await post(listening.url, '/v1/push/records', recordsBody([{ kind: 'pruned' }]), PUSH);
      expect(placeholder.status).toBe(403);
      // Mixed in with a harmless record, the whole push is refused.
      const watch: LogRecord = { kind: 'watch', event: 'start', time: Date.now(), root: 'other', rootPath: '/x', host: 'h', pid: 1, user: 'u' };
      const mixed = await post(listening.url, '/v1/push/records', recordsBody([watch, { kind: 'forget', time: 1, policy: '', versionIds: [newVersionId()] }]), PUSH);
      expect(mixed.status).toBe(403);
      expect(await segmentsHex(logDir)).toBe(before);
    } finally {
      serve.kill('SIGTERM');
      await exited(serve);
    }
    // Retention runs on the server, by its operator.
    const forget = await runCli(['forget', '--log', logDir, '--keep-last', '1', '--json']);
    expect(forget.code, forget.stderr).toBe(0);
    expect((JSON.parse(forget.stdout) as { forgotten: unknown[] }).forgotten.length).toBe(2);
    expect((await runCli(['serve', '--log', logDir, '--append-only'])).code).toBe(2);
  });
});
