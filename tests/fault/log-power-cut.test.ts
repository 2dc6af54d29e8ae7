// Power cuts at chosen moments, on the fault-injecting file system (fault-fs.mjs): what the crash harness
// (stress/log-crash.ts) meets by chance, pinned down once it has found it.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Log, REAL_LOG_FILE_SYSTEM, type LogFileSystem } from '../../src/log/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { createFaultFileSystem, cutPower } from './fault-fs.mjs';

const payload = (seed: number, bytes: number) => new Uint8Array(bytes).fill(seed);

describe('log power cuts', () => {
  it('a segment whose directory entry its creator never synced survives once a later writer acknowledged records in it', async () => {
    const root = await makeTmpDir();
    const dir = join(root, 'log');
    await mkdir(dir);
    const journal = join(root, 'journal.jsonl');
    const fs = createFaultFileSystem(REAL_LOG_FILE_SYSTEM, journal);
    // The first writer dies (here: stops syncing directories) between a new segment's rename and its directory fsync.
    let dirSyncs = true;
    const dying: LogFileSystem = {
      ...fs,
      writeFileAtomic: (path, bytes, options) => fs.writeFileAtomic(path, bytes, dirSyncs ? options : { ...options, skipDirSync: true }),
    };
    const first = await Log.open(dir, { segmentBytesMax: 4096, fileSystem: dying });
    await first.append({ tag: 1, payload: payload(1, 5000) });
    dirSyncs = false;
    await first.append({ tag: 1, payload: payload(2, 100) });
    expect((await first.segments()).length).toBe(2);
    await first.close();
    // The next writer appends to that newest segment and acknowledges.
    const second = await Log.open(dir, { segmentBytesMax: 1 << 20, fileSystem: fs });
    const acked = await second.append({ tag: 1, payload: payload(3, 100) });
    await second.close();
    fs.close();
    cutPower(journal, dir, { random: () => 0 });
    const after = await Log.open(dir);
    try {
      expect(after.nextSeq).toBeGreaterThan(acked.seq);
      expect(Buffer.from((await after.readAt(acked)).payload).equals(Buffer.from(payload(3, 100)))).toBe(true);
    } finally {
      await after.close();
    }
  });
});
