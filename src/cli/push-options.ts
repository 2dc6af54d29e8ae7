// What `synclog push` and `synclog watch --to` share: the server's client options, the root names (--as), and the
// notices while the server is away (stderr, once per outage, with what is queued). Never prints a token.
import { UsageError } from '../errors.js';
import type { PushOptions, RootNames } from '../net/index.js';
import { isValidLogPath } from '../util/log-path.js';
import { formatSize } from '../util/format-size.js';
import { displayName } from '../util/display-name.js';
import { printNotice } from './output.js';
import { remoteClientOptions } from './remote-options.js';

export const AS_HELP = 'push a root under another name: NAME (every root) or ROOT=NAME (repeatable); for a root another client owns';

function checkRootName(name: string): string {
  if (!isValidLogPath(name) || name.includes('/')) throw new UsageError(`--as ${JSON.stringify(name)} is not a root name`, { fix: 'a root name is one path component, like docs or laptop-docs' });
  return name;
}

/** `--as NAME` renames every root; `--as ROOT=NAME` one root (it wins over a bare NAME). */
export function parseRootNames(values: readonly string[]): RootNames | undefined {
  if (values.length === 0) return undefined;
  const byRoot = new Map<string, string>();
  let every: string | undefined;
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq < 0) {
      if (every !== undefined) throw new UsageError('--as NAME (for every root) given twice', { fix: 'use --as ROOT=NAME for each root' });
      every = checkRootName(value);
    } else {
      byRoot.set(checkRootName(value.slice(0, eq)), checkRootName(value.slice(eq + 1)));
    }
  }
  return (root) => byRoot.get(root) ?? every ?? root;
}

/** The pusher's options from the command line, with the away/back notices. */
export async function pushClientOptions(options: { to: string; tokenFile?: string; ca?: string; as: string[] }, logDir: string): Promise<PushOptions> {
  const client = await remoteClientOptions(options);
  return {
    url: options.to,
    logDir,
    token: client.token,
    ca: client.ca,
    rootNames: parseRootNames(options.as),
    onAway: ({ error, queue, retryMaxMs }) =>
      printNotice(`server unreachable (${error.message}); ${queue.records} records (${formatSize(queue.bytes)}) of ${displayName(logDir)} queued, retrying with backoff (at most every ${Math.round(retryMaxMs / 1000)} s)`),
    onBack: ({ awayMs }) => printNotice(`server back after ${(awayMs / 1000).toFixed(1)} s: catching up`),
  };
}
