// The archive part's only import point: export a log's history as a gzip tar, import synclog archives and plain
// tarballs (docs/archive.md is the format). Reads and writes records only through the store.
export { exportArchive, type ExportOptions, type ExportResult } from './export.js';
export { importArchive, defaultRootName, type ImportOptions, type ImportResult } from './import.js';
export { parseAt, selectRecords, type ArchiveSelection, type SelectedRecord } from './selection.js';
export { archiveEntryPath, symlinkTargetInside, type ArchiveRefusal } from './archive-entry-path.js';
export { readArchive, type ArchiveItem, type ArchiveLimits, type ReadArchiveOptions } from './archive-reader.js';
export { MANIFEST_ENTRY, VERSIONS_DIR, ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION, latestEntryName, olderEntryName, versionStamp } from './layout.js';
export { parseManifest, type Manifest, type ManifestSelection, type ManifestVersion, type ManifestDelete } from './manifest.js';
