// The service's config file (docs/config.md): TOML or JSON read as a plain document (config-text.ts), then
// validated here into a ServiceConfig with every default decided and every path absolute (relative paths are taken
// from the config file's folder, so a unit file's working directory does not matter). Every problem is collected,
// not just the first, each naming the file, the line and the key (`synclog.toml:12: folders[1].exclude: expected a
// list of strings`). Unknown keys are problems: a typo (`exlude`) must never be silently ignored. Reads only the file
// (and, with `files`, stats what it names: config-files.ts).
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { parseListenAddress, parseRootNames } from '../net/index.js';
import { parsePolicyText, type RetentionPolicy } from '../retention/index.js';
import { SERVICE_LIMITS } from '../util/limits.js';
import { fileProblems } from './config-files.js';
import { KeyLines } from './config-lines.js';
import { isJsonFile, isTable, parseConfigText, type Table } from './config-text.js';
import { parseDurationMs } from '../util/duration.js';
import { HOOK_EVENT_KINDS, type HookEventKind } from './hook-event.js';

export interface FolderConfig {
  path: string;
  exclude: string[];
  /** Periodic snapshots instead of live watching (undefined: watched live). */
  everyMs: number | undefined;
  /** Up to this much is added to or taken from each interval, at random. */
  jitterMs: number;
  poll: boolean;
  debounceMs: number | undefined;
}

export interface ServeConfig {
  listen: string;
  tokenFile: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  insecurePublic: boolean;
  acceptPush: boolean;
  /** With acceptPush: pushed forget and prune records are refused as from an append-only server. */
  appendOnly: boolean;
  /** With acceptPush: scheduled forget + prune on the server's writer (docs/format.md "Server-side retention"). */
  retain: { policy: RetentionPolicy; policyText: string; everyMs: number } | undefined;
}

export interface PushConfig {
  to: string;
  tokenFile: string | undefined;
  ca: string | undefined;
  /** The names roots are pushed under, as `push --as` takes them: NAME (every root) or ROOT=NAME ([] = their own). */
  as: string[];
}

export interface ReceiverConfig {
  out: string;
  mode: 'latest' | 'all-versions';
  /** A served log (http(s)://) instead of the config's own log. */
  from: string | undefined;
  tokenFile: string | undefined;
  ca: string | undefined;
}

export interface HookConfig {
  /** `hooks[N]` or the `name` given: what logs and status call it. */
  name: string;
  /** The program and its arguments (exec hooks): run directly, never through a shell, in `cwd`. */
  exec: string[] | undefined;
  /** The config file's folder: an exec hook runs there, so relative arguments mean what they say in the file. */
  cwd: string;
  /** Where the event JSON is POSTed (webhooks). */
  url: string | undefined;
  secretFile: string | undefined;
  /** Kinds that trigger it ([] = every kind). */
  events: HookEventKind[];
  /** gitignore-style patterns on `root/path` ([] = every path). */
  paths: string[];
  timeoutMs: number;
  /** Webhook attempts after the first one fails (with backoff). */
  retries: number;
}

export interface ServiceConfig {
  file: string;
  log: string;
  folders: FolderConfig[];
  serve: ServeConfig | undefined;
  push: PushConfig[];
  receivers: ReceiverConfig[];
  hooks: HookConfig[];
}

/** One thing wrong with a config file. `line` is 1-based (undefined: the problem is the whole file). */
export interface ConfigProblem {
  file: string;
  line: number | undefined;
  key: string;
  message: string;
}

export function formatConfigProblem(problem: ConfigProblem): string {
  const where = problem.line === undefined ? basename(problem.file) : `${basename(problem.file)}:${problem.line}`;
  return problem.key === '' ? `${where}: ${problem.message}` : `${where}: ${problem.key}: ${problem.message}`;
}

/**
 * Reads and validates a config file. Throws UsageError (exit 2) with `details.problems` listing every problem. With
 * `files`, also what the config names on disk (config-files.ts): folders, credential files, hook programs.
 */
export async function loadConfig(file: string, options: { files?: boolean } = {}): Promise<ServiceConfig> {
  const path = resolve(file);
  // An unreadable config is a bad config (exit 2, listed as its problems are): a unit restarting on it would fail
  // the same way, and `run --check --json` still answers with one problems object.
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    const reason = (error as Error).message.replace(/, \w+ '.*'$/, ''); // "ENOENT: no such file or directory"
    throw configError([{ file: path, line: undefined, key: '', message: `cannot be read: ${reason}` }]);
  });
  if (Buffer.byteLength(text) > SERVICE_LIMITS.configBytesMax) {
    throw configError([{ file: path, line: undefined, key: '', message: `larger than ${SERVICE_LIMITS.configBytesMax} bytes` }]);
  }
  const config = parseConfig(text, path);
  if (!options.files) return config;
  const problems = await fileProblems(config);
  if (problems.length === 0) return config;
  const lines = isJsonFile(path) ? KeyLines.scanJson(text).lines : KeyLines.scan(text);
  throw configError(problems.map((p) => ({ file: path, line: lines.lineOf(p.key), ...p })).sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
}

/**
 * Validates config text as if read from `file` (its folder anchors relative paths): JSON when the file name ends in
 * `.json`, TOML otherwise. Pure.
 */
export function parseConfig(text: string, file: string): ServiceConfig {
  const parsed = parseConfigText(text, file);
  if ('problem' in parsed) throw configError([{ file, key: '', ...parsed.problem }]);
  const reader = new ConfigReader(file, parsed.lines);
  for (const duplicate of parsed.duplicates) reader.problems.push({ file, line: duplicate.line, key: duplicate.key, message: 'given twice (JSON would keep only the last)' });
  const config = readDocument(reader, parsed.document);
  // In file order (the reader goes key by key), so a long list reads top to bottom.
  if (reader.problems.length > 0) throw configError([...reader.problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  return config;
}

function configError(problems: ConfigProblem[]): UsageError {
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new UsageError(`bad config: ${formatConfigProblem(problems[0]!)}${more}`, {
    file: problems[0]!.file,
    problems,
    fix: 'see docs/config.md for every key; `synclog run --check --config FILE` lists all problems',
  });
}


/** Collects problems while reading typed values out of the parsed document. */
class ConfigReader {
  readonly problems: ConfigProblem[] = [];
  readonly baseDir: string;

  constructor(
    readonly file: string,
    private readonly lines: KeyLines,
  ) {
    this.baseDir = dirname(file);
  }

  problem(key: string, message: string): void {
    this.problems.push({ file: this.file, line: this.lines.lineOf(key), key, message });
  }

  /** Reports every key of `table` not in `known`. */
  known(table: Table, prefix: string, known: readonly string[]): void {
    for (const key of Object.keys(table)) {
      if (!known.includes(key)) this.problem(join(prefix, key), `unknown key (known here: ${known.join(', ')})`);
    }
  }

  string(table: Table, prefix: string, key: string): string | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0) return void this.problem(join(prefix, key), 'expected a non-empty string');
    return value;
  }

  path(table: Table, prefix: string, key: string): string | undefined {
    const value = this.string(table, prefix, key);
    return value === undefined ? undefined : isAbsolute(value) ? value : resolve(this.baseDir, value);
  }

  boolean(table: Table, prefix: string, key: string): boolean | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') return void this.problem(join(prefix, key), 'expected true or false');
    return value;
  }

  integer(table: Table, prefix: string, key: string, min: number, max: number): number | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return void this.problem(join(prefix, key), `expected a whole number from ${min} to ${max}`);
    }
    return value;
  }

  duration(table: Table, prefix: string, key: string, minMs: number): number | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    const ms = typeof value === 'string' ? parseDurationMs(value) : undefined;
    if (ms === undefined) return void this.problem(join(prefix, key), 'expected a duration such as "500ms", "30s", "5m", "1h" or "1d"');
    if (ms < minMs) return void this.problem(join(prefix, key), `must be at least ${minMs} ms`);
    return ms;
  }

  strings(table: Table, prefix: string, key: string): string[] | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) return void this.problem(join(prefix, key), 'expected a list of strings');
    return value as string[];
  }

  /** An array of tables (`[[folders]]`), each handed to `read` with its key path. */
  tables<T>(document: Table, key: string, read: (table: Table, prefix: string) => T | undefined): T[] {
    const value = document[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) return (this.problem(key, `expected a list of tables ([[${key}]])`), []);
    const out: T[] = [];
    value.forEach((item, index) => {
      const prefix = `${key}[${index}]`;
      if (!isTable(item)) return this.problem(prefix, 'expected a table');
      const read1 = read(item, prefix);
      if (read1 !== undefined) out.push(read1);
    });
    return out;
  }
}

function join(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

/** Every key the file may hold, per table (docs/config.md "Keys" lists each; a test keeps the two equal). */
export const CONFIG_KEYS = {
  '': ['log', 'folders', 'serve', 'push', 'receivers', 'hooks'],
  folders: ['path', 'exclude', 'every', 'jitter', 'poll', 'debounce'],
  serve: ['listen', 'token_file', 'tls_cert', 'tls_key', 'insecure_public', 'accept_push', 'append_only', 'retain', 'retain_every'],
  push: ['to', 'token_file', 'ca', 'as'],
  receivers: ['out', 'mode', 'from', 'token_file', 'ca'],
  hooks: ['name', 'exec', 'url', 'secret_file', 'events', 'paths', 'timeout', 'retries'],
} as const satisfies Record<string, readonly string[]>;

function readDocument(r: ConfigReader, document: Table): ServiceConfig {
  r.known(document, '', CONFIG_KEYS['']);
  const log = r.path(document, '', 'log');
  if (document.log === undefined) r.problem('log', 'missing: where the log lives (log = "/var/lib/synclog/log")');
  const folders = r.tables(document, 'folders', (t, p) => readFolder(r, t, p));
  let serve: ServeConfig | undefined;
  if (document.serve !== undefined) {
    if (isTable(document.serve)) serve = readServe(r, document.serve, 'serve');
    else r.problem('serve', 'expected a table ([serve])');
  }
  const push = r.tables(document, 'push', (t, p) => readPush(r, t, p));
  const receivers = r.tables(document, 'receivers', (t, p) => readReceiver(r, t, p));
  const hooks = r.tables(document, 'hooks', (t, p) => readHook(r, t, p));
  if (serve?.acceptPush && folders.length > 0) r.problem('serve.accept_push', 'does not go with [[folders]]: a log has one writer (watch on the client and push here)');
  const listed = (key: string) => Array.isArray(document[key]) && (document[key] as unknown[]).length > 0;
  if (!listed('folders') && document.serve === undefined && !listed('receivers') && !listed('push')) r.problem('', 'nothing to run: add [[folders]], [serve], [[push]] or [[receivers]]');
  checkUnique(r, folders.map((f) => f.path), 'folders', 'path');
  checkUnique(r, receivers.map((f) => f.out), 'receivers', 'out');
  return { file: r.file, log: log ?? '', folders, serve, push, receivers, hooks };
}

function checkUnique(r: ConfigReader, values: string[], list: string, key: string): void {
  values.forEach((value, index) => {
    if (values.indexOf(value) !== index) r.problem(`${list}[${index}].${key}`, `the same as ${list}[${values.indexOf(value)}].${key}`);
  });
}

function readFolder(r: ConfigReader, t: Table, p: string): FolderConfig | undefined {
  r.known(t, p, CONFIG_KEYS.folders);
  const path = r.path(t, p, 'path');
  if (t.path === undefined) r.problem(p, 'missing path: the folder to record');
  const everyMs = r.duration(t, p, 'every', SERVICE_LIMITS.snapshotEveryMsMin);
  const jitterMs = r.duration(t, p, 'jitter', 0);
  if (jitterMs !== undefined && everyMs === undefined) r.problem(`${p}.jitter`, 'goes with every');
  if (jitterMs !== undefined && everyMs !== undefined && jitterMs * 2 >= everyMs) r.problem(`${p}.jitter`, 'must be less than half of every');
  const exclude = r.strings(t, p, 'exclude') ?? [];
  const poll = r.boolean(t, p, 'poll') ?? false;
  const debounceMs = r.duration(t, p, 'debounce', 0);
  if (path === undefined) return undefined;
  return { path, exclude, everyMs, jitterMs: jitterMs ?? (everyMs === undefined ? 0 : Math.round(everyMs / 10)), poll, debounceMs };
}

function readServe(r: ConfigReader, t: Table, p: string): ServeConfig {
  r.known(t, p, CONFIG_KEYS.serve);
  const listen = r.string(t, p, 'listen') ?? '127.0.0.1:8417';
  try {
    parseListenAddress(listen);
  } catch {
    r.problem(`${p}.listen`, 'expected HOST:PORT, e.g. "127.0.0.1:8417" (port 0: any free port)');
  }
  const tlsCert = r.path(t, p, 'tls_cert');
  const tlsKey = r.path(t, p, 'tls_key');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) r.problem(`${p}.${tlsCert === undefined ? 'tls_key' : 'tls_cert'}`, 'tls_cert and tls_key go together');
  const acceptPush = r.boolean(t, p, 'accept_push') ?? false;
  const appendOnly = r.boolean(t, p, 'append_only') ?? false;
  if (appendOnly && !acceptPush) r.problem(`${p}.append_only`, 'goes with accept_push = true');
  return { listen, tokenFile: r.path(t, p, 'token_file'), tlsCert, tlsKey, insecurePublic: r.boolean(t, p, 'insecure_public') ?? false, acceptPush, appendOnly, retain: readRetain(r, t, p, acceptPush) };
}

/** `serve.retain` (a policy as `serve --retain` takes it) and `serve.retain_every`. */
function readRetain(r: ConfigReader, t: Table, p: string, acceptPush: boolean): ServeConfig['retain'] {
  const everyMs = r.duration(t, p, 'retain_every', SERVICE_LIMITS.retainEveryMsMin);
  const text = r.string(t, p, 'retain');
  if (t.retain_every !== undefined && t.retain === undefined) r.problem(`${p}.retain_every`, 'goes with retain');
  if (text === undefined) return undefined;
  if (!acceptPush) return void r.problem(`${p}.retain`, 'goes with accept_push = true: only a server that takes pushes writes its log');
  try {
    return { policy: parsePolicyText(text), policyText: text, everyMs: everyMs ?? SERVICE_LIMITS.retainEveryMsDefault };
  } catch (error) {
    return void r.problem(`${p}.retain`, (error as Error).message);
  }
}

function httpUrl(r: ConfigReader, t: Table, p: string, key: string): string | undefined {
  const url = r.string(t, p, key);
  if (url !== undefined && !/^https?:\/\/[^\s/]+/.test(url)) return void r.problem(`${p}.${key}`, 'expected an http:// or https:// URL');
  return url;
}

function readPush(r: ConfigReader, t: Table, p: string): PushConfig | undefined {
  r.known(t, p, CONFIG_KEYS.push);
  const to = httpUrl(r, t, p, 'to');
  if (t.to === undefined) r.problem(p, 'missing to: the server (synclog serve --accept-push) to push to');
  const config = { to: to ?? '', tokenFile: r.path(t, p, 'token_file'), ca: r.path(t, p, 'ca'), as: rootNames(r, t, p) };
  return to === undefined ? undefined : config;
}

/** `as = "NAME"` or `as = ["ROOT=NAME", …]`, checked as `push --as` checks its values. */
function rootNames(r: ConfigReader, t: Table, p: string): string[] {
  const values = typeof t.as === 'string' ? [t.as] : (r.strings(t, p, 'as') ?? []);
  try {
    parseRootNames(values, 'as');
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    r.problem(`${p}.as`, error.message);
    return [];
  }
  return values;
}

function readReceiver(r: ConfigReader, t: Table, p: string): ReceiverConfig | undefined {
  r.known(t, p, CONFIG_KEYS.receivers);
  const out = r.path(t, p, 'out');
  if (t.out === undefined) r.problem(p, 'missing out: the destination folder');
  const mode = r.string(t, p, 'mode') ?? 'latest';
  if (mode !== 'latest' && mode !== 'all-versions') r.problem(`${p}.mode`, 'expected "latest" or "all-versions"');
  const from = httpUrl(r, t, p, 'from');
  const tokenFile = r.path(t, p, 'token_file');
  const ca = r.path(t, p, 'ca');
  if (from === undefined && (tokenFile !== undefined || ca !== undefined)) r.problem(`${p}.${tokenFile !== undefined ? 'token_file' : 'ca'}`, 'goes with from');
  if (out === undefined) return undefined;
  return { out, mode: mode === 'all-versions' ? 'all-versions' : 'latest', from, tokenFile, ca };
}

function readHook(r: ConfigReader, t: Table, p: string): HookConfig | undefined {
  r.known(t, p, CONFIG_KEYS.hooks);
  let exec: string[] | undefined;
  if (typeof t.exec === 'string') r.problem(`${p}.exec`, 'expected a list (the program, then each argument): a command line is never given to a shell');
  else exec = r.strings(t, p, 'exec');
  if (exec !== undefined && (exec.length === 0 || exec[0] === '')) r.problem(`${p}.exec`, 'expected the program and its arguments, e.g. ["/usr/local/bin/notify", "--quiet"]');
  const url = httpUrl(r, t, p, 'url');
  const secretFile = r.path(t, p, 'secret_file');
  if ((t.exec === undefined) === (t.url === undefined)) r.problem(p, 'give exec (a program) or url (a webhook), one of them');
  if (t.url !== undefined && t.secret_file === undefined) r.problem(p, 'a webhook needs secret_file: the key its HMAC-SHA256 signature is made with');
  if (t.exec !== undefined && secretFile !== undefined) r.problem(`${p}.secret_file`, 'goes with url');
  const events = r.strings(t, p, 'events') ?? [];
  events.forEach((kind, index) => {
    if (!(HOOK_EVENT_KINDS as readonly string[]).includes(kind)) r.problem(`${p}.events[${index}]`, `unknown event kind ${JSON.stringify(kind)} (known: ${HOOK_EVENT_KINDS.join(', ')})`);
  });
  const timeoutMs = r.duration(t, p, 'timeout', 100) ?? SERVICE_LIMITS.hookTimeoutMsDefault;
  const retries = r.integer(t, p, 'retries', 0, SERVICE_LIMITS.webhookRetriesMax) ?? SERVICE_LIMITS.webhookRetriesDefault;
  if (t.exec !== undefined && t.retries !== undefined) r.problem(`${p}.retries`, 'goes with url (an exec hook runs once per event)');
  const name = r.string(t, p, 'name') ?? p;
  if ((exec === undefined || exec.length === 0) && url === undefined) return undefined;
  // A program named by a relative path is found from the config's folder, as every other path in it is.
  const program = exec?.[0];
  const argv = exec && program ? [program.includes('/') && !isAbsolute(program) ? resolve(r.baseDir, program) : program, ...exec.slice(1)] : undefined;
  return { name, exec: argv, cwd: r.baseDir, url, secretFile, events: events as HookEventKind[], paths: r.strings(t, p, 'paths') ?? [], timeoutMs, retries };
}
