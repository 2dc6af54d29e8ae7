// `watch --exec PROGRAM`: the config file's exec hooks (docs/config.md "Hooks") for a plain `synclog watch`. Each
// --exec is one hook: the program runs once per recorded change (after it is durable), without a shell, with the
// event as JSON on stdin and as SYNCLOG_* environment variables; `--exec-events` and `--exec-paths` select what
// reaches it. The queue, the timeout and the never-wait rule are src/service's Hook: a slow or failing program never
// holds up recording. Arguments go in a script (or a config's `exec = [...]`): one word, one program, nothing to split.
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { HookEventKind } from '../service/index.js';
import { SERVICE_LIMITS } from '../util/limits.js';
import type { WatcherChange } from '../watcher/index.js';
import { printNotice } from './output.js';

export interface ExecHookOptions {
  exec: string[];
  execEvents?: string;
  execPaths: string[];
}

export interface RunningExecHooks {
  offer(change: WatcherChange): void;
  /** Lets queued runs finish for up to `graceMs`, then drops the rest; resolves with the runs that failed or were dropped. */
  close(graceMs: number): Promise<{ failed: number; dropped: number }>;
}

/** The hooks `--exec` asks for, started (undefined without --exec). Throws UsageError for a bad --exec-events. */
export async function startExecHooks(options: ExecHookOptions): Promise<RunningExecHooks | undefined> {
  const { HOOK_EVENT_KINDS, changeEvent, createHooks } = await import('../service/index.js');
  if (options.exec.length === 0) {
    if (options.execEvents !== undefined || options.execPaths.length > 0) throw new UsageError('--exec-events and --exec-paths go with --exec');
    return undefined;
  }
  const events = options.execEvents === undefined ? [] : options.execEvents.split(',').map((kind) => kind.trim());
  for (const kind of events) {
    if (!(HOOK_EVENT_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--exec-events: unknown event kind ${JSON.stringify(kind)} (known: ${HOOK_EVENT_KINDS.join(', ')})`);
  }
  const hooks = await createHooks(
    options.exec.map((program) => ({
      name: program,
      // A program named by a path is taken from here, as the shell would; a bare name is looked up on $PATH.
      exec: [program.includes('/') && !isAbsolute(program) ? resolve(program) : program],
      cwd: process.cwd(),
      url: undefined,
      secretFile: undefined,
      events: events as HookEventKind[],
      paths: options.execPaths,
      timeoutMs: SERVICE_LIMITS.hookTimeoutMsDefault,
      retries: 0,
    })),
    {
      failed: (hook, event, reason) => printNotice(`hook ${hook}: ${event.kind}${event.change ? ` ${event.change.display}` : ''}: ${reason}`),
      full: (hook, waiting) => printNotice(`hook ${hook}: ${waiting} events wait; dropping new ones until it catches up`),
    },
  );
  return {
    offer: (change) => {
      for (const hook of hooks) hook.offer(changeEvent(change));
    },
    async close(graceMs) {
      await Promise.all(hooks.map((hook) => hook.close(graceMs)));
      return { failed: hooks.reduce((n, h) => n + h.counters.failed, 0), dropped: hooks.reduce((n, h) => n + h.counters.dropped, 0) };
    },
  };
}
