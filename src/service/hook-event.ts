// What a hook is told (docs/config.md "Hooks"): one event as JSON (an exec hook's stdin, a webhook's body) and as
// environment variables (exec hooks). File names travel as data: exact strings in JSON and in the environment,
// never spliced into a command line. Pure.
import type { WatcherChange } from '../watcher/index.js';

export const HOOK_EVENT_KINDS = ['created', 'modified', 'renamed', 'deleted', 'restored', 'snapshot', 'error'] as const;
export type HookEventKind = (typeof HOOK_EVENT_KINDS)[number];

/** Version 1 of the event JSON; a field is only ever added, and `v` says which version a hook reads. */
export interface HookEvent {
  v: 1;
  kind: HookEventKind;
  /** When it happened (ms since the epoch). */
  time: number;
  /** For changes: the change as the watcher reported it once durable. */
  change?: WatcherChange;
  /** For 'snapshot': the folder and what the pass recorded. */
  snapshot?: { folder: string; versions: number; errors: number };
  /** For 'error': which part and what went wrong. */
  error?: { component: string; message: string; code?: string };
}

export function changeEvent(change: WatcherChange): HookEvent {
  return { v: 1, kind: change.change, time: change.time, change };
}

/** `root/path` of a change, for the path filter ('' for events that name no file). */
export function eventPath(event: HookEvent): string {
  return event.change?.display ?? '';
}

/** The environment an exec hook gets beside its stdin JSON (added to the service's own environment). */
export function eventEnvironment(event: HookEvent): Record<string, string> {
  const env: Record<string, string> = { SYNCLOG_EVENT: event.kind, SYNCLOG_TIME: String(event.time) };
  const change = event.change;
  if (change) {
    env.SYNCLOG_ROOT = change.root;
    env.SYNCLOG_PATH = change.path;
    env.SYNCLOG_DISPLAY = change.display;
    env.SYNCLOG_TYPE = change.type;
    env.SYNCLOG_SIZE = String(change.size);
    env.SYNCLOG_VERSION_ID = change.versionId;
    env.SYNCLOG_SEQ = String(change.seq);
    if (change.contentId !== undefined) env.SYNCLOG_CONTENT_ID = change.contentId;
    if (change.renamedFrom !== undefined) env.SYNCLOG_RENAMED_FROM = change.renamedFrom;
  }
  if (event.snapshot) env.SYNCLOG_FOLDER = event.snapshot.folder;
  if (event.error) {
    env.SYNCLOG_COMPONENT = event.error.component;
    env.SYNCLOG_ERROR = event.error.message;
  }
  return env;
}
