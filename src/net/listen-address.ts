// `--listen HOST:PORT` for `synclog serve`: parsing, and the rule that a server reachable from other machines needs
// a token and TLS unless the user says otherwise (docs/protocol.md "Authentication"). Pure.
import { UsageError } from '../errors.js';
import { DEFAULT_PORT } from './protocol.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_LISTEN = `127.0.0.1:${DEFAULT_PORT}`;

/** HOST:PORT, [IPv6]:PORT, or HOST alone (default port); port 0 asks for an ephemeral one. */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+))(?::([0-9]{1,5}))?$/.exec(text);
  const port = match?.[3] === undefined ? DEFAULT_PORT : Number(match[3]);
  if (!match || port > 65535) throw new UsageError(`bad --listen ${JSON.stringify(text)}`, { fix: `use HOST:PORT, e.g. ${DEFAULT_LISTEN} (port 0: any free port)` });
  return { host: match[1] ?? match[2]!, port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(host);
}

/**
 * What is missing for a server others can reach (no token, no TLS), or [] when it is safe or only on loopback.
 * The caller refuses unless the user passed --insecure-public, and then warns.
 */
export function publicExposure(host: string, hasTokens: boolean, hasTls: boolean): string[] {
  if (isLoopback(host)) return [];
  const missing: string[] = [];
  if (!hasTokens) missing.push('no token (anyone who can reach it reads the log)');
  if (!hasTls) missing.push('no TLS (tokens and data travel in clear text)');
  return missing;
}
