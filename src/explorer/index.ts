// The explorer's only import point: `exploreLog` (the terminal UI over a log) and the UI-free model and services
// for tests and embedders. Importing this never loads ink or react; exploreLog does, when it runs.
export { exploreLog, type ExploreOptions } from './explore-log.js';
export * as explorerModel from './model/index.js';
export { RootPaths } from './services/root-paths.js';
export { planRestore, restoreVersion, describeTarget } from './services/restore-version.js';
export { readVersionBytes } from './services/read-version.js';
export { runEffect, type ExplorerDeps, type ArchiveOps } from './services/run-effect.js';
export { createArchiveOps } from './services/archive-ops.js';
