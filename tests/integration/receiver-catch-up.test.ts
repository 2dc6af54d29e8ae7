// Catch-up that skips the past: a latest receiver far behind writes each surviving file once (not every version),
// never writes a file created and deleted in the backlog, and ends in the source tree; all-versions keeps every
// version; a follower, once caught up, applies each live change in order.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogReceiver, type AppliedChange, type ReceiverSourceOpener } from '../../src/receiver/index.js';
import { openStore } from '../../src/store/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { waitFor } from '../helpers/wait-for.js';
import { buildCatchUpHistory } from './catch-up-history.js';
import { LogBuilder } from './receiver-log-builder.js';

describe('receiver catch-up skips superseded records', () => {
  it('latest: the destination equals the source, and files written equals surviving files', async () => {
    const tmp = await makeTmpDir();
    const source = join(tmp, 'data');
    const logDir = join(tmp, 'log');
    const history = await buildCatchUpHistory(source, logDir);
    const out = join(tmp, 'out');
    const summary = await new LogReceiver({ logPath: logDir, outputPath: out }).catchUp();
    expect(await snapshotTree(join(out, 'data'))).toEqual(await snapshotTree(source));
    expect(summary.files).toBe(history.survivingFiles);
    expect(summary.files).toBeLessThan(history.fileVersions / 5);
    expect(summary.superseded).toBeGreaterThan(0);
    expect(summary.changes + summary.superseded).toBe(history.records);
    // Nothing left to do: a second run applies nothing and changes nothing.
    const again = await new LogReceiver({ logPath: logDir, outputPath: out }).catchUp();
    expect(again).toMatchObject({ changes: 0, superseded: 0, fromSeq: summary.nextSeq });
  });

  it('latest from a cursor part way: the rest of the backlog is planned from the cursor, tree exact', async () => {
    const tmp = await makeTmpDir();
    const source = join(tmp, 'data');
    const logDir = join(tmp, 'log');
    await buildCatchUpHistory(source, logDir, { rounds: 3 });
    const out = join(tmp, 'out');
    await new LogReceiver({ logPath: logDir, outputPath: out }).catchUp();
    // More history after the cursor: every file rewritten three more times, one deleted.
    const log = await LogBuilder.open(logDir, source);
    try {
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 20; i++) await writeFile(join(source, 'lib', `f${i}.js`), `round ${round} file ${i}\n`);
        await log.record(...Array.from({ length: 20 }, (_, i) => `lib/f${i}.js`));
      }
      await log.record('lib/f3.js'); // unchanged: a second version of the same content
    } finally {
      await log.close();
    }
    const summary = await new LogReceiver({ logPath: logDir, outputPath: out }).catchUp();
    expect(await snapshotTree(join(out, 'data'))).toEqual(await snapshotTree(source));
    expect(summary.files).toBe(20);
    expect(summary.superseded).toBe(41);
  });

  it('reads its backlog once: the plan keeps the records it read, and the apply pass reads on after them', async () => {
    const tmp = await makeTmpDir();
    const source = join(tmp, 'data');
    const logDir = join(tmp, 'log');
    const history = await buildCatchUpHistory(source, logDir, { rounds: 4, files: 6 });
    // The local log, read through the store as the default source reads it, counting what each reading yields.
    const readings: { fromSeq: number; yielded: number }[] = [];
    const opener: ReceiverSourceOpener = {
      async open() {
        const store = await openStore(logDir, { readOnly: true, workers: 0 });
        const counted = {
          async *entries(options: Parameters<typeof store.entries>[0]) {
            const reading = { fromSeq: options?.fromSeq ?? 0, yielded: 0 };
            readings.push(reading);
            for await (const stored of store.entries(options)) {
              reading.yielded++;
              yield stored;
            }
          },
          readContent: (chunks: Parameters<typeof store.readContent>[0]) => store.readContent(chunks),
        };
        return { source: counted, logIdentity: logDir, endSeq: async () => undefined, close: () => store.close() };
      },
    };
    const summary = await new LogReceiver({ logPath: logDir, outputPath: join(tmp, 'out'), source: opener }).catchUp();
    expect(await snapshotTree(join(tmp, 'out', 'data'))).toEqual(await snapshotTree(source));
    expect(summary.changes + summary.superseded).toBe(history.records);
    // The plan's reading yields every record; the apply pass's reading starts after the last of them and finds none.
    expect(readings.map((r) => r.yielded)).toEqual([history.records, 0]);
    expect(readings[1]!.fromSeq).toBe(summary.nextSeq);
  });

  it('all-versions: nothing is skipped, every version is kept', async () => {
    const tmp = await makeTmpDir();
    const source = join(tmp, 'data');
    const logDir = join(tmp, 'log');
    const history = await buildCatchUpHistory(source, logDir, { rounds: 4, files: 5 });
    const out = join(tmp, 'out');
    const summary = await new LogReceiver({ logPath: logDir, outputPath: out, mode: 'all-versions' }).catchUp();
    expect(summary.superseded).toBe(0);
    expect(summary.changes).toBe(history.records);
    const manifest = (await readFile(join(out, '.synclog-receiver/manifest.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(manifest.length).toBe(history.records);
    expect(await snapshotTree(join(out, 'data'))).toEqual(await snapshotTree(source));
  });

  it('a follower catches up by the plan, then applies each live change in order', async () => {
    const tmp = await makeTmpDir();
    const source = join(tmp, 'data');
    const logDir = join(tmp, 'log');
    await buildCatchUpHistory(source, logDir, { rounds: 3, files: 4 });
    const receiver = new LogReceiver({ logPath: logDir, outputPath: join(tmp, 'out') });
    const changes: AppliedChange[] = [];
    receiver.on('applied', (change) => changes.push(change));
    const caughtUp = await receiver.start();
    expect(caughtUp.superseded).toBeGreaterThan(0);
    const log = await LogBuilder.open(logDir, source);
    try {
      const before = changes.length;
      // Ten live overwrites of one file: a follower applies all ten, in log order (none is planned away).
      for (let i = 0; i < 10; i++) {
        await writeFile(join(source, 'lib/f0.js'), `live ${i}\n`);
        await log.record('lib/f0.js');
      }
      await waitFor(() => changes.length >= before + 10, 'ten live changes applied');
      const live = changes.slice(before);
      expect(live.map((c) => c.path)).toEqual(Array(10).fill('lib/f0.js'));
      expect(live.map((c) => c.seq)).toEqual([...live.map((c) => c.seq)].sort((a, b) => a - b));
    } finally {
      await log.close();
      await receiver.stop();
    }
    expect(await snapshotTree(join(tmp, 'out', 'data'))).toEqual(await snapshotTree(source));
  });
});
