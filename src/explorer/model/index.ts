// The explorer's UI-free model: state, pure update, selectors over catalog data. Never imports ink or react.
export * from './types.js';
export * from './state.js';
export { update, describeRestore, type UpdateResult } from './update.js';
export { suggestedArchivePath } from './update-keys.js';
export * from './keymap.js';
export * from './path-rows.js';
export * from './viewport.js';
export * from './version-rows.js';
export * from './preview.js';
export * from './content-kind.js';
export * from './unified-diff.js';
export * from './format.js';
export * from './lines.js';
export { memoizeLast } from './memo.js';
