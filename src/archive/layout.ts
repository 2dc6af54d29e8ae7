// Where things sit inside a synclog archive (docs/archive.md "Layout"). The one owner of entry naming: export writes
// these names and import accepts only these names for the records its manifest lists.
// Invariant: the names of different records never collide (versions are told apart by id), so a `tar xzf` of an
// export is a usable tree: the newest selected version of each path at <root>/<path>, older ones beside it under
// .synclog-versions/<root>/<path>/<stamp>_<versionId>.

/** The manifest: always the first entry of a synclog archive. */
export const MANIFEST_ENTRY = '.synclog/manifest.json';
export const MANIFEST_DIR = '.synclog';
/** Older versions live under this directory, one subdirectory per path. */
export const VERSIONS_DIR = '.synclog-versions';
export const ARCHIVE_FORMAT = 'synclog-archive';
export const ARCHIVE_FORMAT_VERSION = 1;
/**
 * A file version whose content equals an earlier entry's is written as a tar hard link to it when it is at least
 * this big: histories repeat contents (renames, touches) and gzip cannot see repeats further apart than 32 KiB.
 * Smaller files are written again, so `tar xzf` keeps their own mode and mtime.
 */
export const HARDLINK_BYTES_MIN = 16 * 1024;

/** The entry of the newest selected version of a path: what `tar xzf` puts in the working tree. */
export function latestEntryName(root: string, path: string): string {
  return `${root}/${path}`;
}

/** The entry of an older version: sorts by time in `ls`, and the version id keeps it unique. */
export function olderEntryName(root: string, path: string, timeMs: number, versionId: string): string {
  return `${VERSIONS_DIR}/${root}/${path}/${versionStamp(timeMs)}_${versionId}`;
}

/** A UTC time as a file-name-safe, sortable stamp: 20240501T120304.567Z. */
export function versionStamp(timeMs: number): string {
  const iso = new Date(timeMs).toISOString(); // 2024-05-01T12:03:04.567Z
  return iso.replace(/[-:]/g, '');
}

/** Names export never uses for tree content: a root with one of these names cannot be exported as is. */
export function isReservedTopName(root: string): boolean {
  return root === MANIFEST_DIR || root === VERSIONS_DIR;
}
