// Child process for the large-file checks (tests/integration/store-large-file.test.ts and
// stress/store-large-file.ts): writes a deterministic file of N bytes, ingests it with the BUILT store (dist/), reads
// it back, and prints one JSON report with the peak RSS. Plain JavaScript on purpose: a TypeScript loader in this
// process and in every worker thread would add its own memory to the figure being measured (a user runs dist/).
// Two steps in two processes: `write` makes the file and prints its hash; `store` ingests, reads back and reports.
// Why apart: making 4 MiB blocks of AES output left ~40 MiB of malloc'd memory in the process, which is the test
// harness's, not the store's (the figure measured is what a process running the store needs).
// Usage: node tests/helpers/large-file-child.mjs write DIR BYTES [random|text]   → {"sourceHash": …}
//        node tests/helpers/large-file-child.mjs store DIR                       → the report
import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const dist = new URL('../../dist/', import.meta.url);
const { ContentHasher, openStore } = await import(new URL('store/index.js', dist).href);
const { newVersionId } = await import(new URL('record/index.js', dist).href);

const [mode, dir, bytesArg, kind = 'random'] = process.argv.slice(2);
const BLOCK = 4 * 1024 * 1024;
const path = join(dir, 'large.bin');
const hex = (id) => Buffer.from(id).toString('hex');
if (mode === 'write') {
  await writeLargeFile(Number(bytesArg));
  process.exit(0);
}
if (mode !== 'store') throw new Error(`unknown mode ${mode}: write or store`);

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);

function vmHwmBytes() {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : undefined;
}

function block(index, size) {
  if (kind === 'text') {
    const line = `line ${index} of a large text file for the store's streaming test\n`;
    return Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size));
  }
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(index, 8);
  return createCipheriv('aes-256-ctr', Buffer.alloc(32, 9), iv).update(Buffer.alloc(size));
}

async function writeLargeFile(bytes) {
  const source = new ContentHasher();
  const handle = await open(path, 'w');
  for (let at = 0, i = 0; at < bytes; at += BLOCK, i++) {
    const piece = block(i, Math.min(BLOCK, bytes - at));
    source.update(piece);
    await handle.write(piece);
  }
  await handle.close();
  process.stdout.write(JSON.stringify({ bytes, sourceHash: hex(source.digest()) }) + '\n');
}

const started = performance.now();
const store = await openStore(join(dir, 'log'), { workers: Math.max(1, availableParallelism()) });
const content = await store.ingestFile(path);
const now = Date.now();
await store.appendRecords([
  {
    kind: 'version', versionId: newVersionId(now), time: now, root: 'r', path: 'large.bin', type: 'file', event: 'created',
    size: content.size, mtimeMs: content.stat.mtimeMs, mode: 0o644, uid: 0, gid: 0, contentId: content.contentId, chunks: content.chunks,
  },
]);
const ingestSeconds = (performance.now() - started) / 1000;
const readBack = new ContentHasher();
for await (const piece of store.readContent(content.chunks)) readBack.update(piece);
const stats = await store.stats();
await store.close();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage.rss());
process.stdout.write(
  JSON.stringify({
    bytes: content.size,
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
