// A log's identity for readers elsewhere (docs/protocol.md "Terminology"): `<baseSeq>-<salt>` of its first segment.
// The salt is random per segment, so a log deleted and made again, or another log, never has the same id; a remote
// reader that sees the id change knows its cursor means nothing there. Never writes.
import { listSegments, openSegment } from './segment-file.js';

/** The id as a string: base seq in decimal, the u64 salt as 16 lowercase hex digits. */
export function formatLogId(baseSeq: number, salt: bigint): string {
  return `${baseSeq}-${salt.toString(16).padStart(16, '0')}`;
}

/** The log's id, or undefined while it has no segment yet. Its first segment's header must be sound. */
export async function readLogId(dir: string): Promise<string | undefined> {
  const first = (await listSegments(dir))[0];
  if (!first) return undefined;
  const segment = await openSegment(first);
  try {
    return formatLogId(first.baseSeq, segment.header.salt);
  } finally {
    await segment.handle.close();
  }
}
