// The receiver's only import point: applies a log to a destination tree (`latest` or `all-versions`), follows it,
// and checks out the tree as it was at a moment (docs/receiver.md).
export { LogReceiver, resolveReceiverOptions, type ResolvedReceiverOptions } from './receiver.js';
export { ReceiverSession, type SessionOptions } from './receiver-session.js';
export { RECEIVER_STATE_DIR, VERSIONS_DIR } from './destination-path.js';
export { CURSOR_FILE, readCursor, type ReceiverCursor } from './cursor.js';
export { Destination, type EntryMeta, type WriteContext } from './destination.js';
export { DurableBatch } from './durable-batch.js';
export { FilesystemSync } from './filesystem-sync.js';
export { DestinationPaths, topNameInside } from './destination-path.js';
export { MANIFEST_FILE, type ManifestLine } from './manifest.js';
export { versionFileName, fileSafeIsoTime } from './apply-all-versions.js';
export * from './types.js';
export { checkout, type CheckoutOptions, type CheckoutSummary } from './checkout.js';
export { parseTimeSpec, TIME_FORMS_HELP } from '../util/time-spec.js';
export {
  restoreEntry,
  restoreVersionById,
  type RestoreByIdRequest,
  originalTarget,
  describeTarget,
  restoredMode,
  type ExistingTarget,
  type RestoreOptions,
  type RestoreResult,
  type RestoreSource,
} from './restore.js';
