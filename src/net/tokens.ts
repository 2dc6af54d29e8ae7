// Bearer tokens and their scopes (docs/protocol.md "Authentication"). Owns parsing a token file and checking a
// request's Authorization header. Never logs, echoes or puts a token into an error message (errors name the line).
// Invariant: a check compares against every configured token in constant time (SHA-256 digests, timingSafeEqual),
// so the time it takes says nothing about how close a guess was or which token matched.
import { createHash, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../errors.js';
import { NET_LIMITS } from '../util/limits.js';
import { SCOPES, type Scope } from './protocol.js';

export type TokenCheck = 'ok' | 'missing' | 'unknown' | 'forbidden';

interface Entry {
  digest: Buffer;
  scope: Scope;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function parseLine(line: string, where: string, bareScope: Scope | undefined): Entry {
  const colon = line.indexOf(':');
  const scopeText = colon > 0 ? line.slice(0, colon) : '';
  let scope: Scope;
  let token: string;
  if ((SCOPES as readonly string[]).includes(scopeText)) {
    scope = scopeText as Scope;
    token = line.slice(colon + 1);
  } else if (bareScope) {
    scope = bareScope;
    token = line;
  } else {
    throw new UsageError(`${where}: expected scope:token with scope ${SCOPES.join(' or ')}`, { fix: 'write each token as read:TOKEN (or push:TOKEN), one per line' });
  }
  if (token.length < NET_LIMITS.tokenCharsMin || /\s/.test(token)) {
    throw new UsageError(`${where}: a token must be at least ${NET_LIMITS.tokenCharsMin} characters with no spaces`, { fix: 'make one with: openssl rand -hex 24' });
  }
  return { digest: digest(token), scope };
}

export class TokenSet {
  private constructor(private readonly entries: readonly Entry[]) {}

  static none(): TokenSet {
    return new TokenSet([]);
  }

  /**
   * A token file: one `scope:token` per line (scope `read` or `push`); blank lines and lines starting with `#` are
   * ignored. `env`: SYNCLOG_TOKEN's value, `scope:token` or a bare token (scope read).
   */
  static parse(fileText: string | undefined, env: string | undefined, fileName = 'token file'): TokenSet {
    const entries: Entry[] = [];
    (fileText ?? '').split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      entries.push(parseLine(line, `${fileName} line ${i + 1}`, undefined));
    });
    const fromEnv = env?.trim();
    if (fromEnv) entries.push(parseLine(fromEnv, 'SYNCLOG_TOKEN', 'read'));
    return new TokenSet(entries);
  }

  /** True when tokens are required (any configured). */
  get required(): boolean {
    return this.entries.length > 0;
  }

  /** Checks an Authorization header value for `scope`. With no tokens configured, everything is allowed. */
  check(authorization: string | undefined, scope: Scope): TokenCheck {
    if (!this.required) return 'ok';
    const match = /^Bearer ([^\s]+)$/i.exec(authorization ?? '');
    if (!match) return 'missing';
    const given = digest(match[1]!);
    let known = false;
    let allowed = false;
    // Every entry is compared (no early exit), so timing does not tell which one matched.
    for (const entry of this.entries) {
      const same = timingSafeEqual(given, entry.digest);
      known = known || same;
      allowed = allowed || (same && entry.scope === scope);
    }
    if (allowed) return 'ok';
    return known ? 'forbidden' : 'unknown';
  }
}

/**
 * The token a client sends: the first token in its token file (same format as the server's: `read:TOKEN` lines, a
 * bare token allowed), else SYNCLOG_TOKEN (with or without a `read:` prefix); undefined when neither has one.
 */
export function clientToken(fileText: string | undefined, env: string | undefined, fileName = 'token file'): string | undefined {
  for (const [i, raw] of (fileText ?? '').split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    return tokenOf(line, `${fileName} line ${i + 1}`);
  }
  const fromEnv = env?.trim();
  return fromEnv ? tokenOf(fromEnv, 'SYNCLOG_TOKEN') : undefined;
}

function tokenOf(line: string, where: string): string {
  const colon = line.indexOf(':');
  const token = colon > 0 && (SCOPES as readonly string[]).includes(line.slice(0, colon)) ? line.slice(colon + 1) : line;
  if (token.length === 0 || /\s/.test(token)) throw new UsageError(`${where}: not a token`, { fix: 'one token per line, as read:TOKEN or TOKEN' });
  return token;
}
