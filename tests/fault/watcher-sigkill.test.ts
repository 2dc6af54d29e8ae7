// Fault model: the watcher process is SIGKILLed in the middle of a burst of creates and rewrites (no flush, no stop
// marker, possibly a torn record at the log's tail), and the writes go on while nothing watches.
// What must survive: after a restart, every file on disk has its final content as its latest version — nothing
// missing, nothing stale, nothing torn — and the log opens cleanly (a torn tail is cut, not an error).
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli, waitForLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const hash = (bytes: Uint8Array) => new Blake3Hasher().update(Buffer.from(bytes)).digest('hex');

describe('watcher killed mid-burst', () => {
  it('loses nothing: after restart every file on disk is its own latest version', async () => {
    const dir = await makeTmpDir();
    const data = join(dir, 'data');
    const log = join(dir, 'log');
    await mkdir(data);
    const child = spawnCli(['watch', data, '--log', log, '--json']);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await waitForLine(child, /"event":"ready"/);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const names: string[] = [];
    const writeRound = async (round: number, from: number, to: number) => {
      for (let i = from; i < to; i += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, to - i) }, (_, k) => {
            const name = `f${String(i + k).padStart(4, '0')}.txt`;
            if (round === 0) names.push(name);
            return writeFile(join(data, name), `${name} round ${round} `.repeat(1 + ((i + k) % 7) * 100));
          }),
        );
      }
    };
    await writeRound(0, 0, 600);
    // Kill once the watcher is visibly in the middle of recording the burst.
    await waitFor(() => out.split('\n').filter((l) => l.includes('"event":"version"')).length >= 100, 'some versions', 30_000, 10);
    const rewriting = writeRound(1, 0, 300); // rewrites racing with the kill
    child.kill('SIGKILL');
    await exited;
    await rewriting;
    await writeRound(0, 600, 800);

    const restart = await runCli(['snapshot', data, '--log', log, '--json'], { timeoutMs: 90_000 });
    expect(restart.code).toBe(0);
    const listing = await runCli(['log', '--log', log, '--json'], { timeoutMs: 60_000 });
    const latest = new Map<string, { event: string; contentId?: string }>();
    for (const entry of JSON.parse(listing.stdout) as { path: string; event: string; contentId?: string }[]) latest.set(entry.path, entry);
    const problems: string[] = [];
    for (const name of names) {
      const onDisk = hash(await readFile(join(data, name)));
      const recorded = latest.get(`data/${name}`);
      if (!recorded || recorded.event === 'deleted' || recorded.contentId !== onDisk) problems.push(`${name}: ${JSON.stringify(recorded)}`);
    }
    expect(names).toHaveLength(800);
    expect(problems).toEqual([]);
  });
});
