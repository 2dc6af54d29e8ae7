// The store's parameters in a log (a params record, docs/format.md "Record payloads"): what this binary writes into
// a new log, what a log without one (format 1) is taken to have, and whether this binary can write with a log's.
// Owns the rule that chunking follows the log, not the binary's defaults, so dedup against older data never ends
// silently. Never writes; store.ts appends the record and reads it back.
import { FormatVersionError } from '../errors.js';
import { CHUNK_CODECS, type ParamsRecord } from '../record/index.js';
import { DEFAULT_CHUNK_SIZES, GEAR_SEED, type ChunkSizes } from './chunker.js';
import { WRITE_CODEC } from './compress.js';

export const CHUNKER_NAME = 'fastcdc-gear';
export const CONTENT_HASH_NAME = 'blake3';

/** What this binary writes into a new log. */
export const DEFAULT_PARAMS: ParamsRecord = {
  kind: 'params',
  chunker: CHUNKER_NAME,
  ...DEFAULT_CHUNK_SIZES,
  gearSeed: GEAR_SEED,
  contentHash: CONTENT_HASH_NAME,
  codec: WRITE_CODEC,
};

/** A log whose first record is not a params record (every format-1 log): the values format 1 always used. */
export const FORMAT_1_PARAMS: ParamsRecord = {
  kind: 'params',
  chunker: CHUNKER_NAME,
  chunkBytesMin: 16 * 1024,
  chunkBytesAvg: 64 * 1024,
  chunkBytesMax: 256 * 1024,
  gearSeed: GEAR_SEED,
  contentHash: CONTENT_HASH_NAME,
  codec: 'deflate',
};

/** The chunk sizes to chunk this log with, or the error that refuses writing to it (a value this binary lacks). */
export function writeParams(params: ParamsRecord, logDir: string): { sizes: ChunkSizes } | { refusal: FormatVersionError } {
  const refuse = (field: string, found: unknown, supported: unknown) => ({
    refusal: new FormatVersionError(`log ${logDir} was written with ${field} ${String(found)}, which this synclog cannot write (it has ${String(supported)}); reading still works`, {
      file: logDir,
      found: { [field]: found },
      supported: { [field]: supported },
    }),
  });
  if (params.chunker !== CHUNKER_NAME) return refuse('chunker', params.chunker, CHUNKER_NAME);
  if (params.gearSeed !== GEAR_SEED) return refuse('gearSeed', params.gearSeed, GEAR_SEED);
  if (params.contentHash !== CONTENT_HASH_NAME) return refuse('contentHash', params.contentHash, CONTENT_HASH_NAME);
  if (!(CHUNK_CODECS as readonly string[]).includes(params.codec)) return refuse('codec', params.codec, CHUNK_CODECS.join(', '));
  const sizes = { chunkBytesMin: params.chunkBytesMin, chunkBytesAvg: params.chunkBytesAvg, chunkBytesMax: params.chunkBytesMax };
  const sane = sizes.chunkBytesMin >= 64 && sizes.chunkBytesMin <= sizes.chunkBytesAvg && sizes.chunkBytesAvg <= sizes.chunkBytesMax && sizes.chunkBytesMax <= DEFAULT_CHUNK_SIZES.chunkBytesMax * 4;
  if (!sane) return refuse('chunk sizes', `${sizes.chunkBytesMin}/${sizes.chunkBytesAvg}/${sizes.chunkBytesMax}`, 'min >= 64 <= avg <= max <= 1 MiB');
  return { sizes };
}
