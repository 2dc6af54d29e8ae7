import { decode, encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../../../src/errors.js';
import { chunkPiecesValid, decodeRecord, encodeChunkRecord, encodeRecord, newVersionId, peekChunkIdAndSize, RECORD_TAGS, type ChunkRecord, type LogRecord, type VersionRecord } from '../../../src/record/index.js';
import type { LogPath } from '../../../src/util/log-path.js';

const id = (n: number) => new Uint8Array(32).fill(n);

function fileVersion(overrides: Partial<VersionRecord> = {}): VersionRecord {
  return {
    kind: 'version',
    versionId: newVersionId(1_700_000_000_000),
    time: 1_700_000_000_000,
    root: 'data',
    path: 'notes/a.txt' as LogPath,
    type: 'file',
    event: 'created',
    size: 10,
    mtimeMs: 1_700_000_000_123.5,
    mode: 0o100644,
    uid: 1000,
    gid: 1000,
    owner: 'ada',
    contentId: id(1),
    chunks: [{ id: id(2), size: 4 }, { id: id(3), size: 6 }],
    ...overrides,
  };
}

function roundTrip(record: LogRecord): LogRecord {
  const { tag, payload } = encodeRecord(record);
  return decodeRecord(tag, payload, { seq: 7 });
}

describe('record codec', () => {
  it('round-trips every kind', () => {
    const records: LogRecord[] = [
      { kind: 'chunk', id: id(9), codec: 'raw', size: 3, data: new Uint8Array([1, 2, 3]) },
      fileVersion(),
      fileVersion({ type: 'symlink', target: '../x', contentId: undefined, chunks: undefined, size: 4 }),
      fileVersion({ type: 'dir', contentId: undefined, chunks: undefined, size: 0, event: 'renamed', renamedFrom: 'old' as LogPath }),
      { kind: 'delete', versionId: newVersionId(), time: 5, root: 'data', path: 'x' as LogPath, type: 'file', renamedTo: 'y' as LogPath },
      { kind: 'watch', event: 'start', time: 5, root: 'data', rootPath: '/home/ada/data', host: 'h', pid: 12, user: 'ada' },
    ];
    for (const record of records) expect(roundTrip(record)).toEqual(record);
  });

  it('writes exactly msgpack of the record without kind and without undefined fields, in the record\'s key order', () => {
    // The definition encodeRecord had before it walked the keys itself: the bytes of every record must not move.
    const reference = (record: LogRecord): Uint8Array => {
      const { kind: _kind, ...fields } = record;
      return encode(Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)));
    };
    const { owner: _owner, ...withoutOwner } = fileVersion();
    const records: LogRecord[] = [
      fileVersion(),
      fileVersion({ type: 'symlink', target: '../x', contentId: undefined, chunks: undefined, size: 4 }),
      fileVersion({ renamedFrom: undefined, basedOn: newVersionId(), origin: { log: 'a'.repeat(32), seq: 3, receivedMs: undefined } }),
      { ...withoutOwner, owner: 'late key' }, // another key order
      { kind: 'delete', versionId: newVersionId(), time: 5, root: 'data', path: 'x' as LogPath, type: 'file', renamedTo: undefined },
      { kind: 'watch', event: 'stop', time: 5, root: 'data', rootPath: '/home/ada/data', host: 'h', pid: 12, user: 'ada' },
      { kind: 'forget', time: 9, policy: 'keep-last 1', versionIds: [newVersionId()] },
    ];
    for (const record of records) {
      expect(Buffer.from(encodeRecord(record).payload).equals(Buffer.from(reference(record)))).toBe(true);
    }
  });

  it('uses the stable on-disk tags', () => {
    expect(RECORD_TAGS).toEqual({ chunk: 1, version: 2, delete: 3, params: 5, watch: 4, forget: 6, pruned: 7 });
    expect(encodeRecord(fileVersion()).tag).toBe(2);
  });

  const hostile: [string, Record<string, unknown>][] = [
    ['absolute path', { path: '/etc/passwd' }],
    ['dotdot path', { path: '../../x' }],
    ['backslash path', { path: 'a\\b' }],
    ['NUL in path', { path: 'a\0b' }],
    ['root with a slash', { root: 'a/b' }],
    ['root dotdot', { root: '..' }],
    ['bad version id', { versionId: 'nope' }],
    ['chunk sizes that do not add up', { size: 11 }],
    ['unknown event', { event: 'exploded' }],
    ['short content id', { contentId: new Uint8Array(5) }],
    ['renamed without renamedFrom', { event: 'renamed' }],
  ];
  it.each(hostile)('refuses a version with %s, naming the record', (_name, change) => {
    const { kind: _kind, ...fields } = fileVersion();
    const payload = encode({ ...fields, ...change });
    const error = (() => {
      try {
        decodeRecord(RECORD_TAGS.version, payload, { seq: 42, file: 'x.seg', offset: 99 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CorruptionError);
    expect((error as CorruptionError).details).toMatchObject({ seq: 42, file: 'x.seg', offset: 99 });
  });

  it('refuses unknown tags and non-msgpack payloads with CorruptionError', () => {
    expect(() => decodeRecord(99, encode({}))).toThrow(CorruptionError);
    expect(() => decodeRecord(2, new Uint8Array([0xc1]))).toThrow(CorruptionError);
    expect(() => decodeRecord(2, encode([1, 2]))).toThrow(CorruptionError);
  });

  it('never throws anything but CorruptionError on random payloads (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.uint8Array({ maxLength: 200 }), (tag, bytes) => {
        try {
          decodeRecord(tag, bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(CorruptionError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('version ids sort by time', () => {
    const a = newVersionId(1000);
    const b = newVersionId(2000);
    expect(a < b).toBe(true);
    expect(a).toMatch(/^[0-9a-f]{20}$/);
  });
});

describe('version ids', () => {
  it('never repeat within a process, even thousands in one millisecond', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i++) ids.add(newVersionId(1_800_000_000_000));
    expect(ids.size).toBe(20_000);
  });
});

describe('encodeChunkRecord', () => {
  // bin8 / bin16 / bin32 boundaries: the two pieces must be the bytes encodeRecord writes, whatever the size.
  it.each([0, 1, 255, 256, 65_535, 65_536, 256 * 1024])('its pieces are exactly encodeRecord for %i bytes of data', (size) => {
    const data = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
    const record: ChunkRecord = { kind: 'chunk', id: new Uint8Array(32).fill(3), codec: 'raw', size, data };
    const { tag, payload } = encodeChunkRecord(record);
    expect(payload[1]).toBe(data); // not copied
    const joined = new Uint8Array(Buffer.concat(payload));
    expect(tag).toBe(encodeRecord(record).tag);
    expect(Buffer.from(joined).equals(Buffer.from(encode({ id: record.id, codec: 'raw', size, data })))).toBe(true);
    expect(Buffer.from(encodeRecord(record).payload).equals(Buffer.from(joined))).toBe(true);
    expect(decodeRecord(tag, joined)).toEqual(record);
  });
});

describe('encodeChunkRecord writes the prefix itself (no msgpack encoder), byte for byte what msgpack writes', () => {
  const sizes = fc.oneof(
    fc.constantFrom(0, 1, 127, 128, 255, 256, 65_535, 65_536, 262_144, 2 ** 32 - 1),
    fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  );
  const dataLengths = fc.oneof(fc.constantFrom(0, 255, 256, 65_535, 65_536), fc.integer({ min: 0, max: 70_000 }));
  it('for every codec, size and data length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.constantFrom('raw', 'deflate', 'zstd'), sizes, dataLengths, (idBytes, codec, size, length) => {
        const data = new Uint8Array(length).fill(9);
        const record = { kind: 'chunk', id: idBytes, codec, size, data } as ChunkRecord;
        const joined = Buffer.concat(encodeChunkRecord(record).payload);
        expect(joined.equals(Buffer.from(encode({ id: idBytes, codec, size, data })))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('for a Buffer id (what the native hasher gives), and for shapes it leaves to the encoder', () => {
    const data = new Uint8Array(40);
    const shapes: ChunkRecord[] = [
      { kind: 'chunk', id: Buffer.alloc(32, 7), codec: 'zstd', size: 1000, data },
      { kind: 'chunk', id: new Uint8Array(31), codec: 'raw', size: 40, data },
      { kind: 'chunk', id: id(1), codec: 'raw', size: 2 ** 32, data },
      { kind: 'chunk', id: id(1), codec: 'raw', size: 1.5, data },
      { kind: 'chunk', id: id(1), codec: 'lz4' as ChunkRecord['codec'], size: 40, data },
    ];
    for (const record of shapes) {
      const joined = Buffer.concat(encodeChunkRecord(record).payload);
      expect(joined.equals(Buffer.from(encode({ id: record.id, codec: record.codec, size: record.size, data })))).toBe(true);
    }
  });
});

describe('chunkPiecesValid (a writer appends the pieces unjoined)', () => {
  function decodesJoined(pieces: readonly [Uint8Array, Uint8Array]): boolean {
    try {
      decodeRecord(RECORD_TAGS.chunk, new Uint8Array(Buffer.concat(pieces)));
      return true;
    } catch {
      return false;
    }
  }

  it('agrees with decodeRecord on the joined pieces, for well-formed and malformed fields', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 40 }),
        fc.constantFrom('raw', 'deflate', 'zstd', 'lz4'),
        fc.oneof(fc.integer({ min: -5, max: 300_000 }), fc.constant(1.5), fc.constant(2 ** 40)),
        fc.integer({ min: 0, max: 70_000 }),
        (chunkId, codec, size, dataBytes) => {
          const record = { kind: 'chunk', id: chunkId, codec, size, data: new Uint8Array(dataBytes) } as ChunkRecord;
          const { payload } = encodeChunkRecord(record);
          expect(chunkPiecesValid(payload)).toBe(decodesJoined(payload));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('takes a canonical raw chunk and refuses one whose data is not its size', () => {
    const data = new Uint8Array(300).fill(1);
    expect(chunkPiecesValid(encodeChunkRecord({ kind: 'chunk', id: id(5), codec: 'raw', size: 300, data }).payload)).toBe(true);
    expect(chunkPiecesValid(encodeChunkRecord({ kind: 'chunk', id: id(5), codec: 'raw', size: 299, data }).payload)).toBe(false);
    expect(chunkPiecesValid(encodeChunkRecord({ kind: 'chunk', id: new Uint8Array(31), codec: 'raw', size: 300, data }).payload)).toBe(false);
  });
});

describe('peekChunkIdAndSize', () => {
  it('reads the id and size decodeRecord would, for every size encoding and both codecs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.constantFrom('raw' as const, 'deflate' as const, 'zstd' as const), fc.integer({ min: 0, max: 300_000 }), (chunkId, codec, size) => {
        const data = new Uint8Array(codec === 'raw' ? size : Math.min(size, 50));
        const record: ChunkRecord = { kind: 'chunk', id: chunkId, codec, size, data };
        const payload = new Uint8Array(Buffer.concat(encodeChunkRecord(record).payload));
        const peeked = peekChunkIdAndSize(payload);
        const decoded = decodeRecord(RECORD_TAGS.chunk, payload) as ChunkRecord;
        expect(peeked).toBeDefined();
        expect(Buffer.from(peeked!.id).equals(Buffer.from(decoded.id))).toBe(true);
        expect(peeked!.size).toBe(decoded.size);
      }),
      { numRuns: 300 },
    );
  });

  it.each([0, 127, 128, 255, 256, 65_535, 65_536, 262_144])('reads size %i at the msgpack integer boundaries', (size) => {
    const payload = new Uint8Array(Buffer.concat(encodeChunkRecord({ kind: 'chunk', id: id(5), codec: 'deflate', size, data: new Uint8Array(3) }).payload));
    expect(peekChunkIdAndSize(payload)?.size).toBe(size);
  });

  it('the fast path reads zstd chunk records (codec index 2) as the general decoder does', () => {
    const payload = new Uint8Array(Buffer.concat(encodeChunkRecord({ kind: 'chunk', id: id(5), codec: 'zstd', size: 70_000, data: new Uint8Array(9) }).payload));
    expect(peekChunkIdAndSize(payload)?.size).toBe(70_000);
    expect(decodeRecord(RECORD_TAGS.chunk, payload)).toMatchObject({ codec: 'zstd', size: 70_000 });
  });

  it('gives up (undefined) on any other layout, so the caller decodes in full', () => {
    const chunk = new Uint8Array(Buffer.concat(encodeChunkRecord({ kind: 'chunk', id: id(5), codec: 'raw', size: 3, data: new Uint8Array(3) }).payload));
    expect(peekChunkIdAndSize(encodeRecord(fileVersion()).payload)).toBeUndefined();
    expect(peekChunkIdAndSize(encode({ codec: 'raw', id: id(5), size: 3, data: new Uint8Array(3) }))).toBeUndefined(); // other key order
    expect(peekChunkIdAndSize(encode({ id: id(5), codec: 'lz4', size: 3, data: new Uint8Array(3) }))).toBeUndefined();
    expect(peekChunkIdAndSize(encode({ id: id(5), codec: 'raw', size: -1, data: new Uint8Array(0) }))).toBeUndefined();
    for (let cut = 0; cut < 50; cut++) expect(peekChunkIdAndSize(chunk.subarray(0, cut))).toBeUndefined();
  });
});

describe('decodeRecord on chunk records (the exact-layout fast path)', () => {
  /** What decodeRecord says, as comparable data: the record (bytes as hex), or that it refused. */
  function outcome(payload: Uint8Array): { record: Record<string, unknown> } | { refused: true } {
    try {
      const record = decodeRecord(RECORD_TAGS.chunk, payload) as ChunkRecord;
      return { record: { ...record, id: Buffer.from(record.id).toString('hex'), data: Buffer.from(record.data).toString('hex') } };
    } catch (error) {
      expect(error).toBeInstanceOf(CorruptionError);
      return { refused: true };
    }
  }

  /**
   * The general decoder's answer for the same content: the map re-encoded with its keys in reverse order, a layout
   * the fast path does not take; a payload msgpack itself refuses is refused.
   */
  function reference(payload: Uint8Array): ReturnType<typeof outcome> {
    let value: unknown;
    try {
      value = decode(payload);
    } catch {
      return { refused: true };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return outcome(payload);
    return outcome(encode(Object.fromEntries(Object.entries(value).reverse())));
  }

  const DATA_LENGTHS = [0, 1, 255, 256, 65_535, 65_536];

  it('answers as the general decoder does for valid records and for damaged ones', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.constantFrom('raw' as const, 'deflate' as const, 'zstd' as const),
        fc.constantFrom(...DATA_LENGTHS),
        fc.integer({ min: 0, max: 300_000 }),
        fc.oneof(
          fc.constant({ kind: 'none' as const }),
          fc.record({ kind: fc.constant('flip' as const), at: fc.integer({ min: 0, max: 60 }), value: fc.integer({ min: 0, max: 255 }) }),
          fc.record({ kind: fc.constant('cut' as const), by: fc.integer({ min: 1, max: 70 }) }),
          fc.record({ kind: fc.constant('append' as const), value: fc.integer({ min: 0, max: 255 }) }),
        ),
        (chunkId, codec, dataLength, declaredSize, damage) => {
          const size = codec === 'raw' ? dataLength : declaredSize;
          const record: ChunkRecord = { kind: 'chunk', id: chunkId, codec, size, data: new Uint8Array(dataLength).fill(7) };
          let payload = new Uint8Array(Buffer.concat(encodeChunkRecord(record).payload));
          if (damage.kind === 'flip' && damage.at < payload.length) payload[damage.at] = damage.value;
          if (damage.kind === 'cut') payload = payload.subarray(0, Math.max(0, payload.length - damage.by));
          if (damage.kind === 'append') payload = new Uint8Array(Buffer.concat([payload, Uint8Array.of(damage.value)]));
          const got = outcome(payload);
          expect(got).toEqual(reference(payload));
          if (damage.kind === 'none') expect(got).toEqual({ record: { kind: 'chunk', id: Buffer.from(chunkId).toString('hex'), codec, size, data: Buffer.from(record.data).toString('hex') } });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses what the general decoder refuses: a raw chunk whose data is not its size, trailing bytes', () => {
    const payload = new Uint8Array(Buffer.concat(encodeChunkRecord({ kind: 'chunk', id: id(5), codec: 'raw', size: 4, data: new Uint8Array(3) }).payload));
    expect(() => decodeRecord(RECORD_TAGS.chunk, payload)).toThrow(/raw chunk length differs from its size/);
    const good = new Uint8Array(Buffer.concat(encodeChunkRecord({ kind: 'chunk', id: id(5), codec: 'raw', size: 3, data: new Uint8Array(3) }).payload));
    expect(() => decodeRecord(RECORD_TAGS.chunk, new Uint8Array([...good, 0]))).toThrow(CorruptionError);
  });
});
