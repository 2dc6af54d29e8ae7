// The service (docs/config.md): a config file, one process running what it lists, hooks, periodic snapshots, the
// status file and systemd units. The only import point for the CLI.
export { loadConfig, parseConfig, formatConfigProblem, type ServiceConfig, type FolderConfig, type HookConfig, type ReceiverConfig, type ServeConfig, type PushConfig, type ConfigProblem } from './config.js';
export { ServiceRunner, type ServiceLogEvent } from './runner.js';
export { HOOK_EVENT_KINDS, changeEvent, type HookEvent, type HookEventKind } from './hook-event.js';
export { SIGNATURE_HEADER, signBody, createHooks } from './hooks.js';
export { statusFileFor, readStatusFile, processAlive, type ServiceStatus, type ComponentStatus } from './status-file.js';
export { Schedule, nextDelayMs } from './schedule.js';
export { countDirectories, inotifyAdvice, readMaxUserWatches, watchesNeeded } from './inotify.js';
export { renderUnit, quoteUnitWord, SHIPPED_UNITS, type UnitOptions } from './systemd.js';
export { ServerRetention, describeRetainPass, type ServerRetentionOptions } from './server-retention.js';
