// The network parts of a service, started from its config the way `serve`, `receive --from` and `push` start them
// (src/net's LogServer, openRemoteSource and push(), with the same token, TLS and exposure rules). Never logs a token.
import { LogServer, openRemoteSource, parseRootNames, push, readClientCredentials, readServerCredentials, type PushOptions, type RemoteLogOptions } from '../net/index.js';
import type { ReceiverSourceOpener } from '../receiver/index.js';
import { displayName } from '../util/display-name.js';
import { formatSize } from '../util/format-size.js';
import type { PushConfig, ServeConfig } from './config.js';
import type { ComponentStatus } from './status-file.js';

/** How long a stopping service tries to ship what its last changes added before leaving them queued (as `watch --to`). */
const FINAL_PUSH_MS = 10_000;

export interface RunningServer {
  server: LogServer;
  /** The URL it listens on (kept: the server forgets its address once closed). */
  url: string;
  tokensRequired: boolean;
  /** What a public address lacks, said when insecure_public allowed it. */
  warnings: string[];
}

export async function startServer(config: ServeConfig, logDir: string, onError: (error: unknown) => void): Promise<RunningServer> {
  const { listen, tokens, tls, warnings } = await readServerCredentials(config, {
    overrideFix: 'set serve.token_file and serve.tls_cert/tls_key, listen on 127.0.0.1, or set serve.insecure_public = true if you mean it',
    tlsPair: 'serve.tls_cert and serve.tls_key',
  });
  const server = await LogServer.start({ logDir, host: listen.host, port: listen.port, tokens, tls, onError, acceptPush: config.acceptPush, appendOnly: config.appendOnly });
  return { server, url: server.url, tokensRequired: tokens.required, warnings };
}

async function clientOptions(tokenFile: string | undefined, ca: string | undefined, onRetry: (message: string) => void): Promise<RemoteLogOptions> {
  return {
    ...(await readClientCredentials({ tokenFile, ca })),
    onRetry: (error, delayMs) => onRetry(`server away (${error.message}); retrying in ${(delayMs / 1000).toFixed(1)} s`),
  };
}

/** A served log as a receiver's source (as `receive --from`), retrying with a notice while it is away. */
export async function remoteSource(url: string, tokenFile: string | undefined, ca: string | undefined, onRetry: (message: string) => void): Promise<ReceiverSourceOpener> {
  const client = await clientOptions(tokenFile, ca, onRetry);
  return { open: (run) => openRemoteSource(url, client, run) };
}

export interface RunningPusher {
  status: ComponentStatus;
  /** Stops following, then ships what the stop flushed (FINAL_PUSH_MS at most). 'failed': refused for good. */
  finish(): Promise<'done' | 'queued' | 'failed'>;
}

interface PushReports {
  say(level: 'info' | 'warn', event: string, message: string): void;
  failed(url: string, error: Error): void;
}

/** One follower per [[push]] target (as `watch --to`): the log is the outbox while the server is away. */
export async function startPushers(configs: readonly PushConfig[], logDir: string, reports: PushReports): Promise<RunningPusher[]> {
  const pushers: RunningPusher[] = [];
  for (const config of configs) {
    const client = await clientOptions(config.tokenFile, config.ca, (message) => reports.say('warn', 'away', message));
    const options: PushOptions = {
      url: config.to,
      logDir,
      token: client.token,
      ca: client.ca,
      rootNames: parseRootNames(config.as, 'as'), // checked when the config was read
      onAway: ({ error, queue, retryMaxMs }) =>
        reports.say('warn', 'away', `${config.to} unreachable (${error.message}); ${queue.records} records (${formatSize(queue.bytes)}) of ${displayName(logDir)} queued, retrying with backoff (at most every ${Math.round(retryMaxMs / 1000)} s)`),
      onBack: ({ awayMs }) => reports.say('info', 'back', `${config.to} back after ${(awayMs / 1000).toFixed(1)} s: catching up`),
    };
    const status: ComponentStatus = { kind: 'push', name: config.to, state: 'running' };
    const controller = new AbortController();
    let failure: Error | undefined;
    const following = push({ ...options, follow: true, signal: controller.signal }).catch((error: Error) => {
      failure = error;
      status.state = 'failed';
      status.error = error.message;
      reports.failed(config.to, error);
    });
    pushers.push({
      status,
      async finish() {
        controller.abort();
        await following;
        if (failure) return 'failed';
        try {
          await push({ ...options, onAway: undefined, giveUpAfterMs: FINAL_PUSH_MS });
          status.state = 'stopped';
          return 'done';
        } catch (error) {
          reports.say('warn', 'queued', `not everything reached ${config.to} (${(error as Error).message}): the rest stays queued in the log for the next push`);
          status.state = 'stopped';
          return 'queued';
        }
      },
    });
  }
  return pushers;
}
