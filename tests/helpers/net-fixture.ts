// Real logs served on 127.0.0.1 (ephemeral ports) for the network tests: a source tree recorded through the store
// (LogBuilder), a LogServer over it, and deterministic file bytes.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogServer, TokenSet } from '../../src/net/index.js';
import { LogBuilder } from '../integration/receiver-log-builder.js';
import { makeTmpDir } from './tmp-dir.js';
import { seededBytes } from './seeded-bytes.js';

export const READ_TOKEN = 'read-token-0123456789abcdef';
export const PUSH_TOKEN = 'push-token-0123456789abcdef';

/** Deterministic test content (one generator for every test tree: tests/helpers/seeded-bytes.ts). */
export const bytes = seededBytes;

/** A tree of `files` files (some large enough for several chunks), recorded into a new log. */
export async function builtLog(files = 6, options: { segmentBytesMax?: number } = {}): Promise<{ base: string; logDir: string; sourceDir: string; root: string }> {
  const base = await makeTmpDir('synclog-net-');
  const sourceDir = join(base, 'src');
  await mkdir(join(sourceDir, 'sub'), { recursive: true });
  for (let i = 0; i < files; i++) await writeFile(join(sourceDir, i % 2 ? 'sub' : '', `f${i}.bin`), bytes(i === 1 ? 600_000 : 1000 + i * 37, i + 1));
  const logDir = join(base, 'log');
  const builder = await LogBuilder.open(logDir, sourceDir, options);
  await builder.recordAll();
  await builder.close();
  return { base, logDir, sourceDir, root: 'src' };
}

export async function serve(logDir: string, options: { tokens?: boolean; tls?: { cert: Buffer; key: Buffer }; requestTimeoutMs?: number; port?: number } = {}): Promise<LogServer> {
  const tokens = options.tokens ? TokenSet.parse(`read:${READ_TOKEN}\npush:${PUSH_TOKEN}\n`, undefined) : undefined;
  return LogServer.start({ logDir, host: '127.0.0.1', port: options.port ?? 0, tokens, tls: options.tls, requestTimeoutMs: options.requestTimeoutMs });
}
