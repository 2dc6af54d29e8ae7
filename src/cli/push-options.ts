// What `synclog push` and `synclog watch --to` share: the server's client options, the root names (--as), and the
// notices while the server is away (stderr, once per outage, with what is queued). Never prints a token.
import { parseRootNames, type PushOptions } from '../net/index.js';
import { formatSize } from '../util/format-size.js';
import { displayName } from '../util/display-name.js';
import { printNotice } from './output.js';
import { remoteClientOptions } from './remote-options.js';

export const AS_HELP = 'push a root under another name: NAME (every root) or ROOT=NAME (repeatable); for a root another client owns';

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
