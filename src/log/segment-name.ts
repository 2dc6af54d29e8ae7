// Segment and companion file names (Kafka's LogFileUtils): a zero-padded 20-digit base seq, so `ls` order is log
// order, with the index sharing the stem. Pure: never touches the file system. The only code that builds or parses
// these names; a name read from a directory or a caller is accepted only if it parses back to itself.
import { assert } from '../util/assert.js';
import { INDEX_SUFFIX, SEGMENT_SUFFIX, SEQ_DIGITS } from './format.js';

const SEGMENT_NAME_PATTERN = /^(\d{20})\.seg$/;

/** `00000000000000000000.seg` for base seq 0. */
export function segmentFileName(baseSeq: number): string {
  assert(Number.isSafeInteger(baseSeq) && baseSeq >= 0, `bad base seq ${baseSeq}`);
  return String(baseSeq).padStart(SEQ_DIGITS, '0') + SEGMENT_SUFFIX;
}

/** The base seq a segment file name encodes, or undefined when the name is not exactly a segment name. */
export function parseSegmentFileName(name: string): number | undefined {
  const match = SEGMENT_NAME_PATTERN.exec(name);
  if (!match) return undefined;
  const baseSeq = Number(match[1]);
  // Above 2^53 the name would not round-trip through a JS number; such a log is not one this code wrote.
  if (!Number.isSafeInteger(baseSeq)) return undefined;
  return baseSeq;
}

export function isSegmentFileName(name: string): boolean {
  return parseSegmentFileName(name) !== undefined;
}

/** The sparse index beside a segment: same stem, `.idx`. */
export function indexFileName(segmentName: string): string {
  return segmentName.slice(0, -SEGMENT_SUFFIX.length) + INDEX_SUFFIX;
}
