// Writes the benchmark corpus planned by corpus-plan.ts to disk and caches it under bench/.cache/ so later runs
// reuse it. Never modifies a cached corpus in place: a corpus is written under a temporary name and renamed into
// place only when complete, with its manifest (file count, bytes, content digest) written last.
// Invariant: a cached corpus is used only if its manifest matches the spec and a stat walk finds exactly the
// manifest's file count and bytes; anything else is regenerated.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { assert } from '../../src/util/assert.js';
import { applyEdits, binaryStream, encodeVocabulary, textBytes } from './corpus-content.js';
import { makeVocabulary, planCorpus, type CorpusSpec, type PlannedFile } from './corpus-plan.js';
import { Prng } from './prng.js';

/** Bump when the generator's output changes for the same spec, so stale caches are regenerated. */
export const CORPUS_GENERATOR_VERSION = 1;
const PIECE_BYTES = 4 * 1024 * 1024;

export interface CorpusManifest {
  spec: CorpusSpec;
  generatorVersion: number;
  fileCount: number;
  totalBytes: number;
  /** sha256 over sorted (path, size, sha256 of content): equal digests mean equal corpora. */
  digest: string;
}

export interface Corpus extends CorpusManifest {
  /** The directory holding the corpus files. */
  root: string;
  /** True when this call generated it (false: reused from the cache). */
  generated: boolean;
}

function isTextual(plan: readonly PlannedFile[], index: number): boolean {
  let file = plan[index]!;
  while (file.content.kind === 'duplicate' || file.content.kind === 'near-duplicate') file = plan[file.content.of]!;
  return file.content.kind === 'text';
}

/** Produces one file's bytes in pieces (large files never sit in memory whole unless they are copied). */
async function* fileContent(spec: CorpusSpec, plan: readonly PlannedFile[], index: number, root: string, words: Buffer[]): AsyncGenerator<Buffer> {
  const file = plan[index]!;
  const content = file.content;
  if (content.kind === 'text') {
    const prng = new Prng(spec.seed, content.stream);
    for (let done = 0; done < file.size; done += PIECE_BYTES) yield textBytes(prng, words, Math.min(PIECE_BYTES, file.size - done));
  } else if (content.kind === 'binary') {
    const stream = binaryStream(spec.seed, content.stream);
    for (let done = 0; done < file.size; done += PIECE_BYTES) yield stream.next(Math.min(PIECE_BYTES, file.size - done));
  } else if (content.kind === 'duplicate') {
    yield await readFile(join(root, plan[content.of]!.path));
  } else {
    const source = await readFile(join(root, plan[content.of]!.path));
    const prng = new Prng(spec.seed, content.stream);
    const binary = binaryStream(spec.seed, content.stream);
    const textual = isTextual(plan, content.of);
    yield applyEdits(source, content.edits, (size) => (textual ? textBytes(prng, words, size) : binary.next(size)));
  }
}

/** Writes the corpus for `spec` into `root` (created; must not exist) and returns its manifest. */
export async function writeCorpus(spec: CorpusSpec, root: string, onFile?: (index: number, total: number) => void): Promise<CorpusManifest> {
  const plan = planCorpus(spec);
  const words = encodeVocabulary(makeVocabulary(spec.seed));
  const lines: string[] = [];
  let totalBytes = 0;
  const made = new Set<string>();
  for (let index = 0; index < plan.length; index++) {
    const file = plan[index]!;
    const path = join(root, ...file.path.split('/'));
    const dir = dirname(path);
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    const hash = createHash('sha256');
    let written = 0;
    const handle = await open(path, 'wx');
    try {
      for await (const piece of fileContent(spec, plan, index, root, words)) {
        hash.update(piece);
        await handle.write(piece);
        written += piece.length;
      }
    } finally {
      await handle.close();
    }
    assert(written === file.size, `corpus file ${file.path}: wrote ${written} bytes, planned ${file.size}`);
    totalBytes += written;
    lines.push(`${file.path}\0${written}\0${hash.digest('hex')}\n`);
    onFile?.(index + 1, plan.length);
  }
  // Same digest as tree-digest.ts digestOf(): sorted by path.
  const digest = createHash('sha256');
  for (const line of lines.sort()) digest.update(line);
  return { spec, generatorVersion: CORPUS_GENERATOR_VERSION, fileCount: plan.length, totalBytes, digest: digest.digest('hex') };
}

async function statTotals(root: string): Promise<{ fileCount: number; totalBytes: number }> {
  let fileCount = 0;
  let totalBytes = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        fileCount++;
        totalBytes += (await stat(path)).size;
      }
    }
  };
  await walk(root);
  return { fileCount, totalBytes };
}

/** The cache directory name for a spec: changes whenever the spec or the generator changes. */
export function corpusCacheName(spec: CorpusSpec): string {
  const key = createHash('sha256').update(JSON.stringify({ spec, version: CORPUS_GENERATOR_VERSION })).digest('hex');
  return `corpus-${spec.name}-${key.slice(0, 12)}`;
}

/** The corpus for `spec` under `cacheDir`, generated when missing or when the cached copy does not check out. */
export async function ensureCorpus(spec: CorpusSpec, cacheDir: string, onFile?: (index: number, total: number) => void): Promise<Corpus> {
  const base = join(cacheDir, corpusCacheName(spec));
  const root = join(base, 'tree');
  const manifestPath = join(base, 'manifest.json');
  try {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as CorpusManifest;
    const totals = await statTotals(root);
    if (totals.fileCount === manifest.fileCount && totals.totalBytes === manifest.totalBytes) return { ...manifest, root, generated: false };
  } catch {
    // No usable cache: generate below.
  }
  await rm(base, { recursive: true, force: true });
  const temp = join(base, 'tree.partial');
  await mkdir(base, { recursive: true });
  const manifest = await writeCorpus(spec, temp, onFile);
  await rename(temp, root);
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return { ...manifest, root, generated: true };
}
