// msgpack codec for records. Pure: bytes in, values out. Decoding validates every field (types, sizes, paths) so
// that code above never sees a malformed record; a record that fails is reported, never half-used.
import { Decoder, Encoder } from '@msgpack/msgpack';
import { CorruptionError } from '../errors.js';
import { LIMITS } from '../util/limits.js';
import { isValidLogPath, utf8LongerThan, type LogPath } from '../util/log-path.js';
import {
  CHUNK_CODECS,
  ENTRY_TYPES,
  RECORD_TAGS,
  VERSION_EVENTS,
  type ChunkRecord,
  type ChunkRef,
  type DeleteRecord,
  type LogRecord,
  type RecordKind,
  type RecordOrigin,
  type VersionRecord,
  type WatchRecord,
} from './types.js';
import { isVersionId } from './version-id.js';

const CONTENT_ID_BYTES = 32;
/**
 * One encoder and one decoder for every record: msgpack's encode()/decode() build a new one per call (a 2 KiB
 * buffer and a DataView each), which a snapshot paid once per chunk and version record. The encoder is never
 * re-entered (encoding calls nothing of ours); the decoder clones itself if it were.
 */
const encoder = new Encoder();
const decoder = new Decoder();
const encode = (value: unknown): Uint8Array => encoder.encode(value);
const decode = (bytes: Uint8Array): unknown => decoder.decode(bytes);
/** A params record's names are short identifiers; anything longer is not one this or a later binary writes. */
const PARAM_NAME_BYTES_MAX = 64;
const KIND_BY_TAG = new Map<number, RecordKind>(Object.entries(RECORD_TAGS).map(([k, v]) => [v, k as RecordKind]));

export function recordTag(record: LogRecord): number {
  return RECORD_TAGS[record.kind];
}

export function kindOfTag(tag: number): RecordKind | undefined {
  return KIND_BY_TAG.get(tag);
}

/** Encodes a record's payload (without `kind`, which travels as the frame tag). */
export function encodeRecord(record: LogRecord): { tag: number; payload: Uint8Array } {
  if (record.kind === 'pruned') return { tag: RECORD_TAGS.pruned, payload: new Uint8Array(0) };
  if (record.kind === 'chunk') {
    const { tag, payload } = encodeChunkRecord(record);
    const joined = new Uint8Array(payload[0].length + payload[1].length);
    joined.set(payload[0]);
    joined.set(payload[1], payload[0].length);
    return { tag, payload: joined };
  }
  // Every field but `kind`, in the record's own order, undefined optionals dropped so the bytes are canonical. A
  // for-in over the record's own keys: the rest copy and Object.entries' pair arrays it replaces were most of
  // encodeRecord's own time in a snapshot's commits (same keys, same order, same bytes: tested).
  const clean: Record<string, unknown> = {};
  for (const key in record) {
    if (key === 'kind' || !Object.hasOwn(record, key)) continue;
    const value: unknown = Reflect.get(record, key);
    if (value !== undefined) clean[key] = value;
  }
  return { tag: RECORD_TAGS[record.kind], payload: encode(clean) };
}

/** msgpack's bin header for `length` bytes: the shortest of bin8, bin16, bin32 (what encode() would write). */
function binHeader(length: number): Uint8Array {
  if (length < 0x100) return Uint8Array.of(0xc4, length);
  if (length < 0x10000) return Uint8Array.of(0xc5, length >>> 8, length & 0xff);
  return Uint8Array.of(0xc6, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
}

/**
 * A chunk record's payload as two pieces: every field up to the data's bin header, then the data itself, so the log
 * writes the chunk from its own buffer (no copy of every stored byte on the main thread). The two pieces back to back
 * are exactly encode({ id, codec, size, data }): `data` is the map's last key, so the prefix is that map encoded with
 * an empty `data`, minus its 2-byte empty bin, plus the real bin header.
 */
export function encodeChunkRecord(record: ChunkRecord): { tag: number; payload: [Uint8Array, Uint8Array] } {
  const prefix = chunkPrefixDirect(record) ?? chunkPrefixEncoded(record);
  return { tag: RECORD_TAGS.chunk, payload: [prefix, record.data] };
}

function chunkPrefixEncoded(record: ChunkRecord): Uint8Array {
  const head = encode({ id: record.id, codec: record.codec, size: record.size, data: EMPTY_BYTES });
  const header = binHeader(record.data.length);
  const prefix = new Uint8Array(head.length - EMPTY_BIN_BYTES + header.length);
  prefix.set(head.subarray(0, head.length - EMPTY_BIN_BYTES));
  prefix.set(header, head.length - EMPTY_BIN_BYTES);
  return prefix;
}

/** msgpack's shortest form of a non-negative integer below 2^32 (positive fixint, uint8, uint16, uint32). */
function uintBytes(value: number): Uint8Array {
  if (value < 0x80) return Uint8Array.of(value);
  if (value < 0x100) return Uint8Array.of(0xcc, value);
  if (value < 0x10000) return Uint8Array.of(0xcd, value >>> 8, value & 0xff);
  return Uint8Array.of(0xce, value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

/**
 * The prefix chunkPrefixEncoded gives, written field by field for the only shape the store makes (a 32-byte id, a
 * known codec, a size below 2^32): every stored chunk is encoded once, and the general encoder's walk of the map
 * was most of encodeChunkRecord's time. Anything else (a malformed record, refused later) takes the encoder.
 * Byte-identical to the encoder's output (tests/unit/record/codec.test.ts).
 */
function chunkPrefixDirect(record: ChunkRecord): Uint8Array | undefined {
  const codecIndex = CHUNK_CODECS.indexOf(record.codec);
  const { id, size } = record;
  if (codecIndex < 0 || !(id instanceof Uint8Array) || id.length !== CONTENT_ID_BYTES || !Number.isInteger(size) || size < 0 || size > 0xffffffff) return undefined;
  const codec = CODEC_VALUES[codecIndex]!;
  const sizeBytes = uintBytes(size);
  const header = binHeader(record.data.length);
  const parts = [CHUNK_HEAD, id, CHUNK_CODEC_KEY, codec, CHUNK_SIZE_KEY, sizeBytes, CHUNK_DATA_KEY, header];
  const prefix = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    prefix.set(part, at);
    at += part.length;
  }
  return prefix;
}

const EMPTY_BYTES = new Uint8Array(0);
/** encode(new Uint8Array(0)) is bin8 with length 0: c4 00. */
const EMPTY_BIN_BYTES = 2;

/** Where a record came from, for error messages. */
export interface RecordLocation {
  file?: string;
  offset?: number;
  seq?: number;
}

interface NumberRule {
  min?: number;
  integer?: boolean;
}

interface BytesRule {
  length?: number;
  maxBytes?: number;
}

class FieldReader {
  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly fail: (reason: string) => never,
  ) {}
  num(key: string, opts?: NumberRule & { optional?: false }): number;
  num(key: string, opts: NumberRule & { optional: true }): number | undefined;
  num(key: string, opts: NumberRule & { optional?: boolean } = {}): number | undefined {
    const v = this.obj[key];
    if (v === undefined && opts.optional) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(`field ${key} is not a number`);
    if (opts.integer !== false && !Number.isInteger(v)) this.fail(`field ${key} is not an integer`);
    if (opts.min !== undefined && v < opts.min) this.fail(`field ${key} is below ${opts.min}`);
    return v;
  }
  str(key: string, opts?: { optional?: false; maxBytes?: number }): string;
  str(key: string, opts: { optional: true; maxBytes?: number }): string | undefined;
  str(key: string, opts: { optional?: boolean; maxBytes?: number } = {}): string | undefined {
    const v = this.obj[key];
    if (v === undefined && opts.optional) return undefined;
    if (typeof v !== 'string') this.fail(`field ${key} is not a string`);
    if (opts.maxBytes !== undefined && utf8LongerThan(v, opts.maxBytes)) this.fail(`field ${key} is too long`);
    return v;
  }
  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.obj[key];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.fail(`field ${key} has unknown value ${String(v)}`);
    return v as T;
  }
  bytes(key: string, opts?: BytesRule & { optional?: false }): Uint8Array;
  bytes(key: string, opts: BytesRule & { optional: true }): Uint8Array | undefined;
  bytes(key: string, opts: BytesRule & { optional?: boolean } = {}): Uint8Array | undefined {
    const v = this.obj[key];
    if (v === undefined && opts.optional) return undefined;
    if (!(v instanceof Uint8Array)) this.fail(`field ${key} is not bytes`);
    if (opts.length !== undefined && v.length !== opts.length) this.fail(`field ${key} is not ${opts.length} bytes`);
    if (opts.maxBytes !== undefined && v.length > opts.maxBytes) this.fail(`field ${key} is too large`);
    return v;
  }
  path(key: string, optional?: false): LogPath;
  path(key: string, optional: true): LogPath | undefined;
  path(key: string, optional = false): LogPath | undefined {
    const v = this.obj[key];
    if (v === undefined && optional) return undefined;
    if (!isValidLogPath(v)) this.fail(`field ${key} is not a safe relative path: ${JSON.stringify(v)}`);
    return v;
  }
  versionId(key: string): string {
    const v = this.obj[key];
    if (!isVersionId(v)) this.fail(`field ${key} is not a version id`);
    return v;
  }
}

/** A log id as docs/protocol.md "Terminology" writes it: decimal base seq, dash, 16 lowercase hex digits. */
const LOG_ID_PATTERN = /^(0|[1-9][0-9]{0,15})-[0-9a-f]{16}$/;

/** The optional `origin` of a pushed record; undefined when absent. */
function originOf(value: unknown, fail: (reason: string) => never): RecordOrigin | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('field origin is not a map');
  const r = new FieldReader(value as Record<string, unknown>, fail);
  const log = r.str('log', { maxBytes: 64 });
  if (!LOG_ID_PATTERN.test(log)) fail('field origin.log is not a log id');
  const seq = r.num('seq', { min: 0 });
  // Since synclog 0.5 (docs/format.md "Receive time"): when the server took the record, by its own clock.
  const receivedMs = r.num('receivedMs', { min: 0, optional: true });
  return receivedMs === undefined ? { log, seq } : { log, seq, receivedMs };
}

/** The optional `basedOn` of a synced record (docs/format.md): a version id; undefined when absent. */
function basedOnOf(r: FieldReader): string | undefined {
  return r.str('basedOn', { optional: true, maxBytes: 64 }) === undefined ? undefined : r.versionId('basedOn');
}

function rootName(r: FieldReader): string {
  const root = r.str('root', { maxBytes: LIMITS.pathComponentBytesMax });
  if (!isValidLogPath(root) || root.includes('/')) return r.str('__invalid_root__');
  return root;
}

/** decodeRecord's way of refusing a record: a CorruptionError naming where it is and which field is wrong. */
function failAt(where: RecordLocation): (reason: string) => never {
  return (reason: string): never => {
    throw new CorruptionError(`bad record${where.seq !== undefined ? ` #${where.seq}` : ''}${where.file ? ` in ${where.file}` : ''}${where.offset !== undefined ? ` at offset ${where.offset}` : ''}: ${reason}`, {
      file: where.file ?? '',
      offset: where.offset,
      seq: where.seq,
      reason: `bad-record: ${reason}`,
    });
  };
}

/**
 * The root and path a version delta's payload names (docs/protocol.md "Read deltas"), checked as decodeRecord checks
 * them: where the client looks for the delta's base. The rest of the record is checked once expanded (its chunk sizes
 * add up only then). Throws CorruptionError as decodeRecord does.
 */
export function versionDeltaPath(payload: Uint8Array, where: RecordLocation = {}): { root: string; path: LogPath } {
  const { r } = fieldsOf(payload, failAt(where));
  return { root: rootName(r), path: r.path('path') };
}

/** A payload's msgpack map (`value`) and a FieldReader over it; `fail` throws for a payload that is not one. */
function fieldsOf(payload: Uint8Array, fail: (reason: string) => never): { r: FieldReader; value: Record<string, unknown> } {
  let value: unknown;
  try {
    value = decode(payload);
  } catch (error) {
    fail(`payload is not msgpack (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('payload is not a map');
  const map = value as Record<string, unknown>;
  return { r: new FieldReader(map, fail), value: map };
}

/**
 * Decodes and validates a record payload. Throws CorruptionError (reason names the field) for anything malformed:
 * a checksummed frame whose payload does not decode is a bug or a hostile log, and either way must stop the reader.
 */
export function decodeRecord(tag: number, payload: Uint8Array, where: RecordLocation = {}): LogRecord {
  const fail = failAt(where);
  const kind = KIND_BY_TAG.get(tag);
  if (!kind) fail(`unknown record tag ${tag}`);
  if (kind === 'chunk') {
    const chunk = decodeChunkFast(payload);
    if (chunk) return chunk;
  }
  // A prune's placeholder is a frame with no payload at all (written by the payload-agnostic log: segment-rewrite.ts).
  if (kind === 'pruned') return payload.length === 0 ? { kind } : fail('a pruned record has no payload');
  const { r, value } = fieldsOf(payload, fail);
  switch (kind) {
    case 'chunk': {
      const id = r.bytes('id', { length: CONTENT_ID_BYTES });
      const codec = r.oneOf('codec', CHUNK_CODECS);
      const size = r.num('size', { min: 0 });
      if (size > LIMITS.recordBytesMax) fail('chunk size exceeds the record limit');
      const data = r.bytes('data', { maxBytes: LIMITS.recordBytesMax });
      if (codec === 'raw' && data.length !== size) fail('raw chunk length differs from its size');
      return { kind, id, codec, size, data };
    }
    case 'version': {
      const type = r.oneOf('type', ENTRY_TYPES);
      // Optional fields are added only when present: deleting undefined ones afterwards turned every record into a
      // slow dictionary-mode object (measured: decoding was a third of a receiver's record handling).
      const record: VersionRecord = {
        kind,
        versionId: r.versionId('versionId'),
        time: r.num('time', { min: 0 }),
        root: rootName(r),
        path: r.path('path'),
        type,
        event: r.oneOf('event', VERSION_EVENTS),
        size: r.num('size', { min: 0 }),
        mtimeMs: r.num('mtimeMs', { integer: false }),
        mode: r.num('mode', { min: 0 }),
        uid: r.num('uid', { min: -1 }),
        gid: r.num('gid', { min: -1 }),
      };
      const renamedFrom = r.path('renamedFrom', true);
      if (renamedFrom !== undefined) record.renamedFrom = renamedFrom;
      const owner = r.str('owner', { optional: true, maxBytes: 256 });
      if (owner !== undefined) record.owner = owner;
      const contentId = r.bytes('contentId', { optional: true, length: CONTENT_ID_BYTES });
      if (contentId !== undefined) record.contentId = contentId;
      const raw = (value as Record<string, unknown>).chunks;
      if (raw !== undefined) {
        if (!Array.isArray(raw)) fail('field chunks is not an array');
        record.chunks = (raw as unknown[]).map((c, i) => {
          if (typeof c !== 'object' || c === null) fail(`chunk ${i} is not a map`);
          const cr = new FieldReader(c as Record<string, unknown>, fail);
          return { id: cr.bytes('id', { length: CONTENT_ID_BYTES }), size: cr.num('size', { min: 0 }) };
        });
      }
      const target = r.str('target', { optional: true, maxBytes: LIMITS.symlinkTargetBytesMax });
      if (target !== undefined) record.target = target;
      if (type === 'file') {
        if (!record.contentId || !record.chunks) fail('a file version needs contentId and chunks');
        const total = record.chunks!.reduce((sum, c) => sum + c.size, 0);
        if (total !== record.size) fail('chunk sizes do not add up to the file size');
      }
      if (type === 'symlink' && record.target === undefined) fail('a symlink version needs a target');
      if (record.event === 'renamed' && !record.renamedFrom) fail('a renamed version needs renamedFrom');
      const origin = originOf((value as Record<string, unknown>).origin, fail);
      if (origin !== undefined) record.origin = origin;
      const basedOn = basedOnOf(r);
      if (basedOn !== undefined) record.basedOn = basedOn;
      return record;
    }
    case 'delete': {
      const record: DeleteRecord = {
        kind,
        versionId: r.versionId('versionId'),
        time: r.num('time', { min: 0 }),
        root: rootName(r),
        path: r.path('path'),
        type: r.oneOf('type', ENTRY_TYPES),
      };
      const renamedTo = r.path('renamedTo', true);
      if (renamedTo !== undefined) record.renamedTo = renamedTo;
      const origin = originOf((value as Record<string, unknown>).origin, fail);
      if (origin !== undefined) record.origin = origin;
      const basedOn = basedOnOf(r);
      if (basedOn !== undefined) record.basedOn = basedOn;
      return record;
    }
    case 'watch': {
      const record: WatchRecord = {
        kind,
        event: r.oneOf('event', ['start', 'stop'] as const),
        time: r.num('time', { min: 0 }),
        root: rootName(r),
        rootPath: r.str('rootPath', { maxBytes: LIMITS.pathBytesMax }),
        host: r.str('host', { maxBytes: 256 }),
        pid: r.num('pid', { min: 0 }),
        user: r.str('user', { maxBytes: 256 }),
      };
      const origin = originOf((value as Record<string, unknown>).origin, fail);
      if (origin !== undefined) record.origin = origin;
      return record;
    }
    case 'params':
      return {
        kind,
        chunker: r.str('chunker', { maxBytes: PARAM_NAME_BYTES_MAX }),
        chunkBytesMin: r.num('chunkBytesMin', { min: 1 }),
        chunkBytesAvg: r.num('chunkBytesAvg', { min: 1 }),
        chunkBytesMax: r.num('chunkBytesMax', { min: 1 }),
        gearSeed: r.num('gearSeed', { min: 0 }),
        contentHash: r.str('contentHash', { maxBytes: PARAM_NAME_BYTES_MAX }),
        codec: r.str('codec', { maxBytes: PARAM_NAME_BYTES_MAX }),
      };
    case 'forget': {
      const raw = (value as Record<string, unknown>).versionIds;
      if (!Array.isArray(raw) || raw.length === 0 || raw.length > LIMITS.forgetVersionIdsMax) fail(`field versionIds is not an array of 1..${LIMITS.forgetVersionIdsMax} ids`);
      const versionIds = (raw as unknown[]).map((id, i) => {
        if (typeof id !== 'string' || !isVersionId(id)) fail(`versionIds[${i}] is not a version id`);
        return id as string;
      });
      return { kind, time: r.num('time', { min: 0 }), policy: r.str('policy', { maxBytes: LIMITS.forgetPolicyBytesMax }), versionIds };
    }
  }
  return fail('unreachable');
}

/** The bytes every chunk record starts with, as encodeChunkRecord writes it: fixmap(4), "id", bin8(32). */
const CHUNK_HEAD = Uint8Array.of(0x84, 0xa2, 0x69, 0x64, 0xc4, 0x20);
const CHUNK_CODEC_KEY = Uint8Array.of(0xa5, 0x63, 0x6f, 0x64, 0x65, 0x63); // "codec"
const CHUNK_SIZE_KEY = Uint8Array.of(0xa4, 0x73, 0x69, 0x7a, 0x65); // "size"
/** Each codec name as msgpack fixstr (in CHUNK_CODECS order: the index is the codec). */
const CODEC_VALUES = CHUNK_CODECS.map((name) => Uint8Array.of(0xa0 | name.length, ...Array.from(name, (c) => c.charCodeAt(0))));

function matchesAt(bytes: Uint8Array, at: number, expected: Uint8Array): boolean {
  if (at + expected.length > bytes.length) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false;
  return true;
}

/**
 * The big-endian unsigned integer of `width` (1, 2 or 4) bytes after the marker byte at `at`, and where it ends; a
 * width of 0 (a marker the caller does not accept) or bytes past the end give undefined.
 */
function uintAfterMarker(payload: Uint8Array, at: number, width: number): { value: number; end: number } | undefined {
  if (width === 0 || at + 1 + width > payload.length) return undefined;
  let value = 0;
  for (let i = 1; i <= width; i++) value = value * 256 + payload[at + i]!;
  return { value, end: at + 1 + width };
}

/** A msgpack unsigned integer (positive fixint, uint8/16/32) at `at`: its value and where it ends. */
function readUintAt(payload: Uint8Array, at: number): { value: number; end: number } | undefined {
  if (at >= payload.length) return undefined;
  const marker = payload[at]!;
  if (marker <= 0x7f) return { value: marker, end: at + 1 };
  return uintAfterMarker(payload, at, marker === 0xcc ? 1 : marker === 0xcd ? 2 : marker === 0xce ? 4 : 0);
}

/** The fields of a chunk record laid out exactly as encodeChunkRecord writes it, up to its data's bin header. */
function chunkHead(payload: Uint8Array): { codecIndex: number; size: number; end: number } | undefined {
  if (!matchesAt(payload, 0, CHUNK_HEAD)) return undefined;
  const idEnd = CHUNK_HEAD.length + CONTENT_ID_BYTES;
  if (!matchesAt(payload, idEnd, CHUNK_CODEC_KEY)) return undefined;
  const codecAt = idEnd + CHUNK_CODEC_KEY.length;
  const codecIndex = CODEC_VALUES.findIndex((value) => matchesAt(payload, codecAt, value));
  if (codecIndex < 0) return undefined;
  const sizeKeyAt = codecAt + CODEC_VALUES[codecIndex]!.length;
  if (!matchesAt(payload, sizeKeyAt, CHUNK_SIZE_KEY)) return undefined;
  const size = readUintAt(payload, sizeKeyAt + CHUNK_SIZE_KEY.length);
  return size && { codecIndex, size: size.value, end: size.end };
}

/**
 * A chunk record's id and size read straight from its payload, without decoding the rest, for a reader that only
 * needs to know where chunks are (the receiver's pass). Undefined when the payload is not laid out exactly as
 * encodeChunkRecord writes it; the caller then decodes it (and a reader of the chunk always decodes and checks it
 * whole). `id` is a view into `payload`.
 */
export function peekChunkIdAndSize(payload: Uint8Array): { id: Uint8Array; size: number } | undefined {
  const head = chunkHead(payload);
  return head && { id: payload.subarray(CHUNK_HEAD.length, CHUNK_HEAD.length + CONTENT_ID_BYTES), size: head.size };
}

const CHUNK_DATA_KEY = Uint8Array.of(0xa4, 0x64, 0x61, 0x74, 0x61); // "data"

/**
 * decodeRecord's answer for a chunk record laid out exactly as encodeChunkRecord writes it (the same checks, the
 * same views into `payload`), without the general msgpack decoder: every chunk read pays for it. Undefined for any
 * other layout, or anything decodeRecord would refuse: that goes through the decoder, which says what is wrong.
 */
function decodeChunkFast(payload: Uint8Array): ChunkRecord | undefined {
  const layout = chunkLayout(payload, payload.length);
  return layout && { kind: 'chunk', id: payload.subarray(CHUNK_HEAD.length, CHUNK_HEAD.length + CONTENT_ID_BYTES), codec: layout.codec, size: layout.size, data: payload.subarray(layout.dataAt) };
}

/**
 * A chunk record laid out exactly as encodeChunkRecord writes it, checked as decodeRecord checks one: its codec, size
 * and where its data starts. `bytes` holds at least every byte before the data; the payload is `payloadBytes` long.
 */
function chunkLayout(bytes: Uint8Array, payloadBytes: number): { codec: ChunkRecord['codec']; size: number; dataAt: number } | undefined {
  const head = chunkHead(bytes);
  if (!head || head.size > LIMITS.recordBytesMax || !matchesAt(bytes, head.end, CHUNK_DATA_KEY)) return undefined;
  const binAt = head.end + CHUNK_DATA_KEY.length;
  const marker = bytes[binAt];
  const bin = uintAfterMarker(bytes, binAt, marker === 0xc4 ? 1 : marker === 0xc5 ? 2 : marker === 0xc6 ? 4 : 0);
  if (!bin) return undefined;
  const { value: length, end: dataAt } = bin;
  // Exactly to the end: trailing bytes are an error the decoder reports.
  if (dataAt + length !== payloadBytes || length > LIMITS.recordBytesMax) return undefined;
  const codec = CHUNK_CODECS[head.codecIndex]!;
  if (codec === 'raw' && length !== head.size) return undefined;
  return { codec, size: head.size, dataAt };
}

/**
 * True when encodeChunkRecord's two pieces, back to back, are a chunk record decodeRecord takes (the same checks as
 * for a whole payload), so a writer can append them as they are instead of joining and decoding them to check.
 */
export function chunkPiecesValid(pieces: readonly [Uint8Array, Uint8Array]): boolean {
  const [prefix, data] = pieces;
  return chunkLayout(prefix, prefix.length + data.length)?.dataAt === prefix.length;
}

/**
 * Decodes a version record whose chunk list travelled as a delta (docs/protocol.md "Version deltas"): `payload` is the
 * record with only its new chunks under `chunks`, and `expand` turns them into the full list (or throws; it is given
 * the record's other fields unchecked, to find the base by). The result is
 * then checked exactly as decodeRecord checks a stored record, so a delta can never yield a record the log would not
 * take whole.
 */
export function decodeRecordWithChunks(
  tag: number,
  payload: Uint8Array,
  expand: (literals: ChunkRef[], fields: Readonly<Record<string, unknown>>) => ChunkRef[],
  where: RecordLocation = {},
): LogRecord {
  return decodeRecord(tag, payloadWithChunks(payload, expand), where);
}

/**
 * The payload a delta's record expands to: `payload` with its `chunks` (the literals) replaced by what `expand`
 * returns, every other field as it was and in its order (so a record its writer encoded with encodeRecord comes back
 * byte for byte: a read client checks the expansion against the original frame's checksum). A payload that is not a
 * msgpack map with well-formed literals is returned as it is, for decodeRecord to refuse or take. Not validated:
 * decode the result before using it as a record.
 */
export function payloadWithChunks(payload: Uint8Array, expand: (literals: ChunkRef[], fields: Readonly<Record<string, unknown>>) => ChunkRef[]): Uint8Array {
  let value: unknown;
  try {
    value = decode(payload);
  } catch {
    return payload; // decodeRecord says why, as for any payload that is not msgpack
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return payload;
  const map = value as Record<string, unknown>;
  const raw = map.chunks;
  const literals: ChunkRef[] = [];
  if (Array.isArray(raw)) {
    for (const item of raw as unknown[]) {
      const entry = item as { id?: unknown; size?: unknown } | null;
      if (typeof entry !== 'object' || entry === null || !(entry.id instanceof Uint8Array) || entry.id.length !== CONTENT_ID_BYTES || !Number.isSafeInteger(entry.size) || (entry.size as number) < 0) {
        return payload; // a malformed literal: the ordinary decoder names it
      }
      literals.push({ id: entry.id, size: entry.size as number });
    }
  }
  return encode({ ...map, chunks: expand(literals, map) });
}
