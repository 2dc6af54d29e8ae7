// `synclog watch` under 100 rapid rewrites of one file, each content self-checking (it carries its own BLAKE3):
// no recorded version is torn, and the last version recorded is the final content.
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { runCli, spawnCli, waitForLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const hex = (text: string) => new Blake3Hasher().update(Buffer.from(text)).digest('hex');

/** `<hash of body>\n<body>`: a reader can tell a whole content from a torn one. */
function selfChecking(i: number): string {
  const body = `rewrite ${i}\n`.repeat(500 + ((i * 7919) % 3000));
  return `${hex(body)}\n${body}`;
}

describe('synclog watch: rapid rewrites', () => {
  it('never records a torn content, and records the final one last', async () => {
    const dir = await makeTmpDir();
    const data = join(dir, 'data');
    const log = join(dir, 'log');
    await mkdir(data);
    const child = spawnCli(['watch', data, '--log', log, '--json']);
    await waitForLine(child, /"event":"ready"/);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const file = join(data, 'hot.txt');
    for (let i = 0; i < 100; i++) await writeFile(file, selfChecking(i)); // truncate + write: torn states exist
    const finalHash = hex(selfChecking(99));
    // Wait until the final content is recorded (history is read-only beside the running watcher).
    for (let tries = 0; ; tries++) {
      const history = await runCli(['history', 'data/hot.txt', '--log', log, '--json']);
      const versions = history.code === 0 ? (JSON.parse(history.stdout) as { contentId: string }[]) : [];
      if (versions.at(-1)?.contentId === finalHash) break;
      if (tries > 100) throw new Error('final content never recorded');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(0);

    const store = await openStore(log, { readOnly: true, workers: 0 });
    try {
      const versions = (await store.catalog()).history('data', 'hot.txt');
      expect(versions.length).toBeGreaterThan(0);
      for (const { record } of versions) {
        if (record.kind !== 'version') throw new Error('unexpected tombstone');
        const parts: Uint8Array[] = [];
        for await (const piece of store.readContent(record.chunks!)) parts.push(piece);
        const text = Buffer.concat(parts).toString();
        const newline = text.indexOf('\n');
        expect(hex(text.slice(newline + 1))).toBe(text.slice(0, newline)); // whole, not torn
      }
      const last = versions.at(-1)!.record;
      expect(last.kind === 'version' && Buffer.from(last.contentId!).toString('hex')).toBe(finalHash);
    } finally {
      await store.close();
    }
  });
});
