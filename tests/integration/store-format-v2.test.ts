// Format 2 at the store: a mixed log (format-1 deflate chunks, then zstd ones) reads back exactly; the chunker's
// parameters recorded in a log are the ones it keeps being chunked with; a value this binary lacks refuses writes.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FormatVersionError } from '../../src/errors.js';
import { initChecksum, xxh64 } from '../../src/log/checksum.js';
import { HEADER_OFFSET } from '../../src/log/format.js';
import { decodeSegmentHeader } from '../../src/log/segment-header.js';
import { Log, segmentFileName, verifyLog } from '../../src/log/index.js';
import { decodeRecord, encodeChunkRecord, encodeRecord, RECORD_TAGS, type ChunkRef, type ParamsRecord } from '../../src/record/index.js';
import { Chunker, compressChunk, hashContent, openStore, readyCodecs } from '../../src/store/index.js';
import { DEFAULT_PARAMS } from '../../src/store/store-params.js';
import { readAll } from '../helpers/log-fixture.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { collect, prng, textLike, versionOf } from '../unit/store/store-fixtures.js';

beforeAll(async () => {
  await initChecksum();
  await readyCodecs();
});

/** Rewrites a segment's header as format version 1 (what an older synclog wrote), checksum included. */
async function markVersion1(path: string): Promise<void> {
  const bytes = new Uint8Array(await readFile(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint16(HEADER_OFFSET.version, 1, true);
  view.setBigUint64(HEADER_OFFSET.checksum, xxh64(bytes.subarray(0, HEADER_OFFSET.checksum), 0n), true);
  await writeFile(path, bytes);
}

/** A format-1 log as an older synclog left it: deflate chunks and a version record, no params record. */
async function writeFormat1Log(logDir: string, content: Uint8Array): Promise<ChunkRef[]> {
  const log = await Log.open(logDir);
  const refs: ChunkRef[] = [];
  for (let at = 0; at < content.length; at += 64 * 1024) {
    const data = content.subarray(at, at + 64 * 1024);
    const id = hashContent(data);
    const packed = compressChunk(data, 'auto', 'deflate');
    expect(packed.codec).toBe('deflate');
    const { tag, payload } = encodeChunkRecord({ kind: 'chunk', id, codec: packed.codec, size: data.length, data: packed.data });
    await log.append({ tag, payload });
    refs.push({ id, size: data.length });
  }
  await log.close();
  await markVersion1(join(logDir, segmentFileName(0)));
  return refs;
}

describe('format 2 at the store', () => {
  it('a mixed log (deflate and zstd chunks) reads back exactly, and the v1 segment is never appended to', async () => {
    const dir = await makeTmpDir();
    const logDir = join(dir, 'log');
    const old = textLike(300 * 1024, 5);
    const oldRefs = await writeFormat1Log(logDir, old);
    const v1Bytes = await readFile(join(logDir, segmentFileName(0)));
    const fresh = textLike(400 * 1024, 6);
    await writeFile(join(dir, 'fresh.txt'), fresh);
    const store = await openStore(logDir, { workers: 1 });
    try {
      expect(store.params).toMatchObject({ codec: 'deflate', chunkBytesAvg: 64 * 1024 }); // format 1's, no record
      const ingested = await store.ingestFile(join(dir, 'fresh.txt'));
      expect(ingested.newChunks).toBeGreaterThan(0);
      expect((await collect(store.readContent(oldRefs))).equals(Buffer.from(old))).toBe(true);
      expect((await collect(store.readContent(ingested.chunks))).equals(Buffer.from(fresh))).toBe(true);
    } finally {
      await store.close();
    }
    expect((await readFile(join(logDir, segmentFileName(0)))).equals(v1Bytes)).toBe(true);
    const log = await Log.open(logDir, { readOnly: true });
    const codecs = new Map<string, number>();
    const versions = new Map<string, number>();
    for await (const entry of log.read({ tags: [RECORD_TAGS.chunk] })) {
      const record = decodeRecord(entry.tag, entry.payload);
      if (record.kind === 'chunk') codecs.set(record.codec, (codecs.get(record.codec) ?? 0) + 1);
    }
    for (const segment of await log.segments()) {
      const header = decodeSegmentHeader(new Uint8Array(await readFile(join(logDir, segment.name))));
      if (header.kind === 'header') versions.set(segment.name, header.header.formatVersion);
    }
    await log.close();
    expect(codecs.get('deflate')).toBe(oldRefs.length);
    expect(codecs.get('zstd')).toBeGreaterThan(0);
    expect([...versions.values()]).toEqual([1, 2]);
    expect(await verifyLog(logDir)).toMatchObject({ ok: true });
  });

  it('a new log starts with this binary\'s params record', async () => {
    const logDir = join(await makeTmpDir(), 'log');
    const store = await openStore(logDir, { workers: 0 });
    await store.close();
    const log = await Log.open(logDir, { readOnly: true });
    const [first] = await readAll(log);
    await log.close();
    expect(first!.seq).toBe(0);
    expect(decodeRecord(first!.tag, first!.payload)).toEqual(DEFAULT_PARAMS);
  });

  it('a log with recorded non-default chunker params keeps dedup (chunks cut with the log\'s sizes, not the defaults)', async () => {
    const dir = await makeTmpDir();
    const logDir = join(dir, 'log');
    const params: ParamsRecord = { ...DEFAULT_PARAMS, chunkBytesMin: 32 * 1024, chunkBytesAvg: 128 * 1024, chunkBytesMax: 512 * 1024 };
    const log = await Log.open(logDir);
    await log.append(encodeRecord(params));
    await log.close();
    const data = prng(6 * 1024 * 1024, 21);
    await writeFile(join(dir, 'big.bin'), data);
    const chunker = new Chunker({ chunkBytesMin: params.chunkBytesMin, chunkBytesAvg: params.chunkBytesAvg, chunkBytesMax: params.chunkBytesMax });
    const expected = [...chunker.push(data), ...chunker.finish()].map((c) => c.length);
    for (let round = 0; round < 2; round++) {
      const store = await openStore(logDir, { workers: round }); // inline processor, then the worker pool
      try {
        expect(store.params).toEqual(params);
        const ingested = await store.ingestFile(join(dir, 'big.bin'));
        expect(ingested.chunks.map((c) => c.size)).toEqual(expected);
        expect(ingested.newChunks).toBe(round === 0 ? expected.length : 0);
        const again = await store.ingestFile(join(dir, 'big.bin'));
        expect(again.newChunks).toBe(0);
        await store.appendRecords([versionOf('r', `big-${round}.bin`, again)]);
      } finally {
        await store.close();
      }
    }
    expect(Math.max(...expected)).toBeGreaterThan(256 * 1024); // sizes the defaults could not have cut
  });

  it('a params value this binary lacks refuses writing with FormatVersionError; reading still works', async () => {
    const dir = await makeTmpDir();
    const logDir = join(dir, 'log');
    const log = await Log.open(logDir);
    await log.append(encodeRecord({ ...DEFAULT_PARAMS, chunker: 'rabin-64' }));
    await log.close();
    await writeFile(join(dir, 'a.txt'), 'hello');
    const store = await openStore(logDir, { workers: 0 });
    try {
      await expect(store.ingestFile(join(dir, 'a.txt'))).rejects.toThrow(FormatVersionError);
      await expect(store.ingestFile(join(dir, 'a.txt'))).rejects.toThrow(/chunker rabin-64/);
      const kinds: string[] = [];
      for await (const stored of store.entries()) kinds.push(stored.record.kind);
      expect(kinds).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
