// Child process for the large-file tests (tests/integration/store-large-file.test.ts, stress/store-large-file.ts):
// writes a deterministic file of N bytes (AES-CTR keystream, or text), ingests it, reads it back through the store,
// and prints one JSON line with both hashes, the sizes and the process's peak RSS (sampled and /proc VmHWM).
// Usage: tsx tests/unit/store/large-file-child.ts DIR BYTES [text|random] [--dist]
import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as sourceStore from '../../../src/store/index.js';
import { versionOf } from './store-fixtures.js';

// With --dist, use the built store (dist/): what a user runs, with plain-JS workers (no tsx loader in each thread).
const useDist = process.argv.includes('--dist');
const { ContentHasher, openStore } = useDist
  ? ((await import(new URL('../../../dist/store/index.js', import.meta.url).href)) as typeof sourceStore)
  : sourceStore;

const [dir, bytesArg, kind = 'random'] = process.argv.slice(2).filter((arg) => arg !== '--dist');
const bytes = Number(bytesArg);
const BLOCK = 4 * 1024 * 1024;
let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);

function vmHwmBytes(): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function block(index: number, size: number): Uint8Array {
  if (kind === 'text') {
    const line = `line ${index} of a large text file for the store's streaming test\n`;
    return Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size));
  }
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(index, 8);
  return createCipheriv('aes-256-ctr', Buffer.alloc(32, 9), iv).update(Buffer.alloc(size));
}

const path = join(dir!, 'large.bin');
const source = new ContentHasher();
const handle = await open(path, 'w');
for (let at = 0, i = 0; at < bytes; at += BLOCK, i++) {
  const piece = block(i, Math.min(BLOCK, bytes - at));
  source.update(piece);
  await handle.write(piece);
}
await handle.close();

const started = performance.now();
const store = await openStore(join(dir!, 'log'), { workers: Math.max(1, availableParallelism()) });
const content = await store.ingestFile(path);
await store.appendRecords([versionOf('r', 'large.bin', content)]);
const ingestSeconds = (performance.now() - started) / 1000;
const readBack = new ContentHasher();
for await (const piece of store.readContent(content.chunks)) readBack.update(piece);
const stats = await store.stats();
await store.close();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage.rss());
const hex = (id: Uint8Array) => Buffer.from(id).toString('hex');
process.stdout.write(
  JSON.stringify({
    bytes,
    sourceHash: hex(source.digest()),
    contentId: hex(content.contentId),
    readHash: hex(readBack.digest()),
    readBytes: readBack.size,
    chunks: content.chunks.length,
    storedBytes: stats.storedBytes,
    peakRssBytes: peakRss,
    vmHwmBytes: vmHwmBytes(),
    ingestSeconds,
    totalSeconds: (performance.now() - started) / 1000,
  }) + '\n',
);
