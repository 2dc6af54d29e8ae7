// Token files and the Authorization check (docs/protocol.md "Authentication"): scopes, refusals, no token in errors.
import { describe, expect, it } from 'vitest';
import { clientToken, TokenSet } from '../../../src/net/index.js';

const READ = 'r'.repeat(20);
const PUSH = 'p'.repeat(20);

describe('TokenSet', () => {
  const tokens = TokenSet.parse(`# comment\n\nread:${READ}\npush:${PUSH}\n`, undefined);

  it('allows a read token to read, refuses a push-only token (forbidden) and anything else (missing/unknown)', () => {
    expect(tokens.check(`Bearer ${READ}`, 'read')).toBe('ok');
    expect(tokens.check(`Bearer ${PUSH}`, 'read')).toBe('forbidden');
    expect(tokens.check(`Bearer ${PUSH}`, 'push')).toBe('ok');
    expect(tokens.check(`Bearer ${READ}`, 'push')).toBe('forbidden');
    expect(tokens.check(undefined, 'read')).toBe('missing');
    expect(tokens.check(`Basic ${READ}`, 'read')).toBe('missing');
    expect(tokens.check(`Bearer ${READ}x`, 'read')).toBe('unknown');
    expect(tokens.check(`Bearer ${READ.slice(1)}`, 'read')).toBe('unknown');
  });

  it('without tokens everything is allowed; SYNCLOG_TOKEN adds one (bare: read scope)', () => {
    expect(TokenSet.none().check(undefined, 'read')).toBe('ok');
    const env = TokenSet.parse(undefined, READ);
    expect(env.required).toBe(true);
    expect(env.check(`Bearer ${READ}`, 'read')).toBe('ok');
  });

  it('refuses a line without a scope or a short token, naming the line and never the token', () => {
    const secret = 'short-secret';
    expect(() => TokenSet.parse(`read:${secret}`, undefined)).toThrow(/line 1/);
    expect(() => TokenSet.parse(`read:${secret}`, undefined)).not.toThrow(new RegExp(secret));
    expect(() => TokenSet.parse(`${READ}\n`, undefined, 'tokens.txt')).toThrow(/tokens.txt line 1: expected scope:token/);
    expect(() => TokenSet.parse(`admin:${READ}`, undefined)).toThrow(/scope/);
  });

  it('a client sends the first token of its file, or SYNCLOG_TOKEN, without the scope', () => {
    expect(clientToken(`# x\nread:${READ}\nread:other-token-000000000`, undefined)).toBe(READ);
    expect(clientToken(undefined, `read:${READ}`)).toBe(READ);
    expect(clientToken(undefined, READ)).toBe(READ);
    expect(clientToken(undefined, undefined)).toBeUndefined();
  });
});
