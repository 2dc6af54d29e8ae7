// The explorer's view of the store: the few catalog and store calls the model and services use, named so that tests
// can drive the model with an in-memory catalog. Never imports ink or react (gemini-cli split: model/ is UI-free).
import type { CatalogApi, CatalogPath, StoredRecord } from '../../store/types.js';
import type { DeleteRecord, EntryRecord, VersionRecord } from '../../record/types.js';
import type { ExistingTarget } from '../../receiver/index.js';

export type { CatalogPath, StoredRecord, EntryRecord, VersionRecord, DeleteRecord, ExistingTarget };

/** The part of CatalogApi the explorer reads (a real catalog satisfies it). */
export type ExplorerCatalog = Pick<CatalogApi, 'nextSeq' | 'paths' | 'history' | 'treeAt' | 'refresh' | 'findVersion' | 'isForgotten'>;

/** Which path a view is about: root, relative path and the `${root}/${path}` display form. */
export interface PathRef {
  root: string;
  path: string;
  display: string;
}

export type EntryItem = StoredRecord<EntryRecord>;
export type VersionItem = StoredRecord<VersionRecord>;

/** What a restore will do, computed before anything is written so the user can confirm it. */
export interface RestorePlan {
  version: VersionItem;
  /** Absolute path that will be written. */
  target: string;
  /** What is there now (undefined: nothing, a new file is created). */
  existing: ExistingTarget | undefined;
  /** True when the target is the version's own path inside its watch root. */
  original: boolean;
}

export const EXPORT_KINDS = ['version', 'history', 'tree'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export interface ExportRequest {
  kind: ExportKind;
  version: VersionItem;
  archivePath: string;
}
