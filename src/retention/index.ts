// Retention (src/retention): which versions a policy keeps, forget (records what goes) and prune (removes it).
// The only import point for other parts (the CLI, the service). docs/format.md "Retention (format version 3)" is the authority.
export { keptVersions, checkPolicy, parsePolicyText, bucketOf, BUCKET_UNITS, type RetentionPolicy, type HistoryEntry, type BucketUnit } from './policy.js';
export { forgetVersions, readHistory, retentionTimeOf, type ForgetOptions, type ForgetReport, type ForgottenVersion } from './forget.js';
export { pruneLog, type PruneOptions, type PruneReport } from './prune.js';
export { retainLog, type RetainOptions, type RetainReport } from './retain.js';
