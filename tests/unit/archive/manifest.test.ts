// The manifest schema: what export writes parses back; what a hostile manifest says is refused.
import { blake3 } from '@napi-rs/blake-hash';
import { describe, expect, it } from 'vitest';
import { latestEntryName, olderEntryName, versionStamp } from '../../../src/archive/layout.js';
import { encodeManifest, manifestDelete, manifestVersion, parseManifest, type Manifest } from '../../../src/archive/manifest.js';
import { ArchiveError } from '../../../src/errors.js';
import type { DeleteRecord, VersionRecord } from '../../../src/record/index.js';
import type { LogPath } from '../../../src/util/log-path.js';

const bytes = Buffer.from('hello world');
const id = new Uint8Array(blake3(bytes));
const version: VersionRecord = {
  kind: 'version', versionId: '018f0000000012345678', time: 1_714_000_000_123, root: 'docs', path: 'a/b.txt' as LogPath,
  type: 'file', event: 'created', size: bytes.length, mtimeMs: 1_713_999_999_000.5, mode: 0o644, uid: 1000, gid: 1000,
  owner: 'me', contentId: id, chunks: [{ id, size: bytes.length }],
};
const removal: DeleteRecord = { kind: 'delete', versionId: '018f0000000112345678', time: 1_714_000_000_999, root: 'docs', path: 'a/b.txt' as LogPath, type: 'file' };

function manifestOf(records: Manifest['records']): Manifest {
  return { format: 'synclog-archive', formatVersion: 1, createdMs: 1, selection: { kind: 'all' }, records };
}
const encode = (m: unknown) => Buffer.from(JSON.stringify(m));
function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ArchiveError);
    return `${String((error as ArchiveError).details.reason)}: ${(error as Error).message}`;
  }
  throw new Error('expected a refusal');
}

describe('layout', () => {
  it('names latest and older entries', () => {
    expect(latestEntryName('docs', 'a/b.txt')).toBe('docs/a/b.txt');
    expect(versionStamp(Date.UTC(2024, 4, 1, 12, 3, 4, 567))).toBe('20240501T120304.567Z');
    expect(olderEntryName('docs', 'a/b.txt', Date.UTC(2024, 4, 1), 'abc')).toBe('.synclog-versions/docs/a/b.txt/20240501T000000.000Z_abc');
  });
});

describe('manifest', () => {
  it('round-trips versions and deletes exactly', () => {
    const m = manifestOf([manifestVersion(version, 'docs/a/b.txt'), manifestDelete(removal)]);
    const { items } = parseManifest(encodeManifest(m, 'x'), 'x');
    expect(items[0]).toEqual({ record: version, entry: 'docs/a/b.txt' });
    expect(items[1]).toEqual({ record: removal });
  });

  it('refuses what is not a synclog manifest', () => {
    expect(reason(() => parseManifest(Buffer.from('{nope'), 'x'))).toMatch(/^manifest-invalid: .*not JSON/);
    expect(reason(() => parseManifest(encode({ ...manifestOf([]), format: 'other' }), 'x'))).toMatch(/format/);
    expect(reason(() => parseManifest(encode({ ...manifestOf([]), formatVersion: 99 }), 'x'))).toMatch(/version 99/);
  });

  it('refuses records the record codec refuses', () => {
    const good = manifestVersion(version, 'docs/a/b.txt');
    expect(reason(() => parseManifest(encode(manifestOf([{ ...good, path: '../../etc/passwd' }])), 'x'))).toMatch(/path/);
    expect(reason(() => parseManifest(encode(manifestOf([{ ...good, size: 12 }])), 'x'))).toMatch(/chunk sizes/);
    expect(reason(() => parseManifest(encode(manifestOf([{ ...good, contentId: 'zz' }])), 'x'))).toMatch(/contentId/);
    expect(reason(() => parseManifest(encode(manifestOf([{ ...good, chunks: [['00', 1]] }])), 'x'))).toMatch(/chunk 0 id/);
    expect(reason(() => parseManifest(encode(manifestOf([{ ...good, kind: 'watch' } as never])), 'x'))).toMatch(/unknown kind/);
  });

  it('refuses entry names that are not the layout names for their record', () => {
    const good = manifestVersion(version, 'docs/a/b.txt');
    expect(reason(() => parseManifest(encode(manifestOf([{ ...good, entry: 'elsewhere.txt' }])), 'x'))).toMatch(/not a layout name/);
    const older = olderEntryName('docs', 'a/b.txt', version.time, version.versionId);
    expect(parseManifest(encode(manifestOf([{ ...good, entry: older }])), 'x').items[0]!.entry).toBe(older);
  });

  it('refuses repeated version ids and entries', () => {
    const good = manifestVersion(version, 'docs/a/b.txt');
    expect(reason(() => parseManifest(encode(manifestOf([good, good])), 'x'))).toMatch(/repeats/);
    expect(reason(() => parseManifest(encode(manifestOf([good, { ...good, versionId: '018f0000000212345678' }])), 'x'))).toMatch(/used twice/);
  });
});
