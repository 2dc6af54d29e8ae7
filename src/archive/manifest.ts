// The manifest of a synclog archive (docs/archive.md "Manifest"): JSON, first entry, listing every record the archive
// carries in log order, with the tar entry that holds each version's content.
// Never: trusts a manifest read from an archive. Every record is rebuilt and run through the record codec's own
// validation (src/record decodeRecord), so an archive can describe nothing a log could not hold.
// Invariant: a parsed manifest has unique version ids, unique entry names, and entry names that are exactly the
// layout's names for their records.
import { encode } from '@msgpack/msgpack';
import { decodeRecord, isVersionId, RECORD_TAGS, type DeleteRecord, type VersionRecord } from '../record/index.js';
import { CorruptionError } from '../errors.js';
import { LIMITS } from '../util/limits.js';
import { refuseEntry } from './archive-entry-path.js';
import { ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION, MANIFEST_ENTRY, latestEntryName, olderEntryName } from './layout.js';

/** How the archive's records were chosen (informational; import does not depend on it). */
export type ManifestSelection =
  | { kind: 'version'; versionId: string }
  | { kind: 'path'; path: string }
  | { kind: 'at'; timeMs?: number; versionId?: string }
  | { kind: 'all' };

/** A version as JSON: binary ids as hex, chunks as [idHex, size] pairs. */
export interface ManifestVersion {
  kind: 'version';
  entry: string;
  versionId: string;
  time: number;
  root: string;
  path: string;
  type: VersionRecord['type'];
  event: VersionRecord['event'];
  renamedFrom?: string;
  size: number;
  mtimeMs: number;
  mode: number;
  uid: number;
  gid: number;
  owner?: string;
  contentId?: string;
  chunks?: [string, number][];
  target?: string;
}

export interface ManifestDelete {
  kind: 'delete';
  versionId: string;
  time: number;
  root: string;
  path: string;
  type: DeleteRecord['type'];
  renamedTo?: string;
}

export interface Manifest {
  format: typeof ARCHIVE_FORMAT;
  formatVersion: number;
  createdMs: number;
  selection: ManifestSelection;
  /** Versions and deletes in log order. */
  records: (ManifestVersion | ManifestDelete)[];
}

/** A validated manifest record: the log record it describes and, for versions, its entry name. */
export type ManifestItem = { record: VersionRecord; entry: string } | { record: DeleteRecord; entry?: undefined };

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

export function manifestVersion(record: VersionRecord, entry: string): ManifestVersion {
  const { kind: _kind, contentId, chunks, ...rest } = record;
  const out: ManifestVersion = { kind: 'version', entry, ...rest };
  if (contentId) out.contentId = hex(contentId);
  if (chunks) out.chunks = chunks.map((c) => [hex(c.id), c.size]);
  return out;
}

export function manifestDelete(record: DeleteRecord): ManifestDelete {
  const { kind: _kind, ...rest } = record;
  return { kind: 'delete', ...rest };
}

/** Encodes a manifest and parses the result back before it is written (restic: check your own output). */
export function encodeManifest(manifest: Manifest, archive: string): Uint8Array {
  const bytes = Buffer.from(JSON.stringify(manifest) + '\n', 'utf8');
  if (bytes.length > LIMITS.archiveManifestBytesMax) {
    refuseEntry(archive, MANIFEST_ENTRY, 'manifest-invalid', `manifest of ${bytes.length} bytes exceeds ${LIMITS.archiveManifestBytesMax}`);
  }
  parseManifest(bytes, archive);
  return bytes;
}

function bytesFromHex(value: unknown, fail: (why: string) => never, what: string): Uint8Array {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) fail(`${what} is not 64 hex digits`);
  return new Uint8Array(Buffer.from(value as string, 'hex'));
}

/** Rebuilds one record and validates it with the record codec (the same checks a log read gets). */
function parseRecord(raw: unknown, index: number, archive: string): ManifestItem {
  const fail = (why: string): never => refuseEntry(archive, MANIFEST_ENTRY, 'manifest-invalid', `record ${index}: ${why}`, { index });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('not an object');
  const { kind, entry, contentId, chunks, ...fields } = raw as Record<string, unknown>;
  if (kind !== 'version' && kind !== 'delete') fail(`unknown kind ${String(kind)}`);
  const candidate: Record<string, unknown> = { kind, ...fields };
  if (kind === 'version') {
    if (contentId !== undefined) candidate.contentId = bytesFromHex(contentId, fail, 'contentId');
    if (chunks !== undefined) {
      if (!Array.isArray(chunks)) fail('chunks is not an array');
      candidate.chunks = (chunks as unknown[]).map((pair, i) => {
        if (!Array.isArray(pair) || pair.length !== 2) fail(`chunk ${i} is not an [id, size] pair`);
        const size = (pair as unknown[])[1];
        if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0 || size > LIMITS.recordBytesMax) fail(`chunk ${i} has a bad size`);
        return { id: bytesFromHex((pair as unknown[])[0], fail, `chunk ${i} id`), size };
      });
    }
  }
  let record: VersionRecord | DeleteRecord;
  try {
    // The record codec is the one validator of record fields: the manifest's fields go through it as if read from a log.
    const decoded = decodeRecord(kind === 'version' ? RECORD_TAGS.version : RECORD_TAGS.delete, encode(candidate));
    if (decoded.kind !== 'version' && decoded.kind !== 'delete') return fail(`unknown kind ${decoded.kind}`);
    record = decoded;
  } catch (error) {
    if (error instanceof CorruptionError) fail(String(error.where.reason));
    throw error;
  }
  if (record.kind === 'delete') {
    if (entry !== undefined) fail('a delete has no entry');
    return { record };
  }
  const expected = [latestEntryName(record.root, record.path), olderEntryName(record.root, record.path, record.time, record.versionId)];
  if (typeof entry !== 'string' || !expected.includes(entry)) fail(`entry ${JSON.stringify(entry)} is not a layout name for ${record.root}/${record.path}`);
  return { record, entry: entry as string };
}

/** Parses and validates a manifest read from an archive; throws ArchiveError (reason manifest-invalid) naming what is wrong. */
export function parseManifest(bytes: Uint8Array, archive: string): { manifest: Manifest; items: ManifestItem[] } {
  const fail = (why: string): never => refuseEntry(archive, MANIFEST_ENTRY, 'manifest-invalid', why);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    fail(`not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('not an object');
  const manifest = value as Manifest;
  if (manifest.format !== ARCHIVE_FORMAT) fail(`format is ${JSON.stringify(manifest.format)}, not ${ARCHIVE_FORMAT}`);
  if (manifest.formatVersion !== ARCHIVE_FORMAT_VERSION) fail(`format version ${String(manifest.formatVersion)} is not supported (supported: ${ARCHIVE_FORMAT_VERSION})`);
  if (!Array.isArray(manifest.records)) fail('records is not an array');
  const items = manifest.records.map((raw, index) => parseRecord(raw, index, archive));
  const ids = new Set<string>();
  const entries = new Set<string>();
  for (const [index, item] of items.entries()) {
    if (!isVersionId(item.record.versionId) || ids.has(item.record.versionId)) fail(`record ${index}: version id ${item.record.versionId} repeats`);
    ids.add(item.record.versionId);
    if (item.entry !== undefined) {
      if (entries.has(item.entry)) fail(`record ${index}: entry ${item.entry} is used twice`);
      entries.add(item.entry);
    }
  }
  return { manifest, items };
}
