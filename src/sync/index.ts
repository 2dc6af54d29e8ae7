// Two-way sync between peers (docs/sync.md): the only import point. A SyncNode keeps one folder in step with its
// peers; the version graph and the conflict names are pure and exported for tests and tools.
export { SyncNode, type SyncOptions, type SyncEvent, type SyncStatus } from './sync-node.js';
export { resolvePath, beats, sameState, type SyncEntry, type PathResolution } from './version-graph.js';
export { carriedOut, entriesWithMoves, resolveWithMoves, type MoveGraphSource } from './move-graph.js';
export { conflictCopyPath, shortNodeId, isConflictCopy } from './conflict-name.js';
export { SHADOW_FILE_NAME } from './sync-state.js';
