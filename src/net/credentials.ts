// Reading what a server or a client needs to authenticate, from the files a user names: the one place that reads a
// token file, TLS certificate and key, or a CA, and the one place that applies the exposure rule (a server others can
// reach needs a token and TLS unless the user says otherwise; docs/protocol.md "Authentication"). `serve`, `sync`
// and a service's config all come here; they differ only in how the user spells the override, given as `overrideFix`.
// Never logs a token.
import { UsageError } from '../errors.js';
import { NET_LIMITS } from '../util/limits.js';
import { readSmallFile } from '../util/small-file.js';
import { parseListenAddress, publicExposure, type ListenAddress } from './listen-address.js';
import { clientToken, TokenSet } from './tokens.js';

export interface ServerCredentialFiles {
  listen: string;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** The user allowed a public address without a token or TLS (then `warnings` says what it lacks). */
  insecurePublic?: boolean;
}

export interface ServerCredentials {
  listen: ListenAddress;
  tokens: TokenSet;
  tls?: { cert: Buffer; key: Buffer };
  /** One line per thing a public address lacks, when insecurePublic allowed it. */
  warnings: string[];
}

/** How the caller's user fixes a refused exposure, e.g. "add --token-file … or pass --insecure-public". */
export interface ExposureWording {
  overrideFix: string;
  /** How the user gives a certificate and key together, for the error when only one is given. */
  tlsPair: string;
}

export async function readServerCredentials(files: ServerCredentialFiles, wording: ExposureWording): Promise<ServerCredentials> {
  const listen = parseListenAddress(files.listen);
  if ((files.tlsCert === undefined) !== (files.tlsKey === undefined)) throw new UsageError(`${wording.tlsPair} go together`, { fix: 'give both, or neither' });
  const tokenText = files.tokenFile ? (await readSmallFile(files.tokenFile, 'token file', NET_LIMITS.tokenFileBytesMax)).toString('utf8') : undefined;
  const tokens = TokenSet.parse(tokenText, process.env.SYNCLOG_TOKEN, files.tokenFile);
  const tls =
    files.tlsCert && files.tlsKey
      ? { cert: await readSmallFile(files.tlsCert, 'TLS certificate', NET_LIMITS.pemFileBytesMax), key: await readSmallFile(files.tlsKey, 'TLS key', NET_LIMITS.pemFileBytesMax) }
      : undefined;
  const exposure = publicExposure(listen.host, tokens.required, tls !== undefined);
  if (exposure.length > 0 && !files.insecurePublic) {
    throw new UsageError(`refusing to serve on ${listen.host}, reachable from other machines, with ${exposure.join(' and ')}`, { fix: wording.overrideFix });
  }
  return { listen, tokens, tls, warnings: exposure.map((problem) => `serving on ${listen.host} with ${problem}`) };
}

export interface ClientCredentials {
  token?: string;
  ca?: Buffer;
}

/** A client's token (its file, or $SYNCLOG_TOKEN) and the CA it trusts. */
export async function readClientCredentials(files: { tokenFile?: string; ca?: string }): Promise<ClientCredentials> {
  const tokenText = files.tokenFile ? (await readSmallFile(files.tokenFile, 'token file', NET_LIMITS.tokenFileBytesMax)).toString('utf8') : undefined;
  return {
    token: clientToken(tokenText, process.env.SYNCLOG_TOKEN, files.tokenFile),
    ca: files.ca ? await readSmallFile(files.ca, 'CA certificate', NET_LIMITS.pemFileBytesMax) : undefined,
  };
}
