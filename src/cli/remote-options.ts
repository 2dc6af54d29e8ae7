// What `receive --from` and `replicate --from` share: the client's token (--token-file or $SYNCLOG_TOKEN), a CA to
// trust (--ca), and the notice printed while the server is away (stderr, so --json output stays one kind of line).
// Never prints a token.
import { UsageError } from '../errors.js';
import { NET_LIMITS } from '../util/limits.js';
import { readSmallFile } from '../util/small-file.js';
import type { JetStreamConnectOptions } from '../jetstream/index.js';
import type { RemoteLogOptions } from '../net/index.js';
import { printNotice } from './output.js';

export const TOKEN_FILE_HELP = 'the bearer token (first line, "read:TOKEN" or TOKEN); also $SYNCLOG_TOKEN';
export const CA_HELP = 'PEM certificate to trust (a self-signed server)';

/** The same CLI wording for `serve` and `sync` when a public address lacks a token or TLS. */
export const CLI_EXPOSURE_WORDING = {
  overrideFix: 'add --token-file and --tls-cert/--tls-key, listen on 127.0.0.1, or pass --insecure-public if you mean it',
  tlsPair: '--tls-cert and --tls-key',
} as const;

export async function remoteClientOptions(options: { tokenFile?: string; ca?: string }): Promise<RemoteLogOptions> {
  const { readClientCredentials } = await import('../net/index.js');
  const { token, ca } = await readClientCredentials(options);
  const onRetry = (error: Error, delayMs: number) => printNotice(`server away (${error.message}); retrying in ${(delayMs / 1000).toFixed(1)} s`);
  return { token, ca, onRetry };
}

export const CREDS_HELP = 'with nats://: a NATS credentials file (JWT and nkey seed) for servers run with accounts';
export const STREAM_HELP = 'with nats://: the JetStream stream holding the log (letters, digits, _ and -)';

/** What a NATS client needs: a token (--token-file or $SYNCLOG_TOKEN, as for HTTP) or a .creds file. */
export async function natsClientOptions(options: { tokenFile?: string; creds?: string; ca?: string }): Promise<JetStreamConnectOptions> {
  if (options.ca) throw new UsageError('--ca goes with https:// servers, not nats://', { fix: 'drop --ca' });
  const { readClientCredentials } = await import('../net/index.js');
  const { token } = await readClientCredentials({ tokenFile: options.tokenFile });
  const creds = options.creds ? new Uint8Array(await readSmallFile(options.creds, 'NATS credentials file', NET_LIMITS.pemFileBytesMax)) : undefined;
  if (token && creds) throw new UsageError('give a token or --creds, not both', {});
  const onRetry = (error: Error, delayMs: number) => printNotice(`NATS away (${error.message}); retrying in ${(delayMs / 1000).toFixed(1)} s`);
  return { token, creds, onRetry };
}
