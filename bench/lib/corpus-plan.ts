// Plans the benchmark corpus: which files exist, where, how big, and what their bytes are made of. Pure and
// deterministic from the spec (seed included): no I/O, no clock, no Math.random. bench/lib/corpus.ts writes it.
// Invariant: a file that copies or edits another file always comes after it in the plan, so the writer can read
// the source back from disk (or memory) in one pass.
import { assert } from '../../src/util/assert.js';
import { Prng } from './prng.js';

export interface CorpusSpec {
  /** 'full', 'quick', 'test': names the cache directory. */
  name: string;
  seed: number;
  /** Files in all, large ones and duplicates included. */
  fileCount: number;
  /** Target total size; the plan lands near it (ordinary file sizes are random). */
  totalBytes: number;
  /** Large files cycle through: incompressible binary, an edited copy of it, compressible text. */
  largeFileCount: number;
  largeBytesMin: number;
  largeBytesMax: number;
  /** Fractions of fileCount that are exact copies (another name) and edited copies of earlier files. */
  duplicateFraction: number;
  nearDuplicateFraction: number;
  /** Fraction of the ordinary files that are incompressible binaries (the rest is text). */
  binaryFraction: number;
}

export const MB = 1_000_000;

const COMMON = { seed: 20240607, duplicateFraction: 0.05, nearDuplicateFraction: 0.05, binaryFraction: 0.3 };

export const CORPUS_SPECS = {
  full: { ...COMMON, name: 'full', fileCount: 10_000, totalBytes: 400 * MB, largeFileCount: 3, largeBytesMin: 50 * MB, largeBytesMax: 100 * MB },
  quick: { ...COMMON, name: 'quick', fileCount: 2_000, totalBytes: 60 * MB, largeFileCount: 2, largeBytesMin: 10 * MB, largeBytesMax: 16 * MB },
  test: { ...COMMON, name: 'test', fileCount: 150, totalBytes: 2 * MB, largeFileCount: 3, largeBytesMin: 200_000, largeBytesMax: 300_000 },
} as const satisfies Record<string, CorpusSpec>;

/** An edit applied to a copy: at `at` (in the source), delete `deleteBytes`, then insert `insertBytes` random bytes. */
export interface CorpusEdit {
  at: number;
  deleteBytes: number;
  insertBytes: number;
}

export type PlannedContent =
  | { kind: 'text'; stream: number }
  | { kind: 'binary'; stream: number }
  | { kind: 'duplicate'; of: number }
  | { kind: 'near-duplicate'; of: number; stream: number; edits: CorpusEdit[] };

export interface PlannedFile {
  /** '/'-separated, relative to the corpus root. */
  path: string;
  size: number;
  content: PlannedContent;
}

/** Largest ordinary (not large) file: keeps one unlucky draw from eating the byte budget. */
const ORDINARY_BYTES_MAX = 4 * MB;
const DIR_DEPTH_MAX = 6;
const FILES_PER_DIR = 25;
const TEXT_EXTENSIONS = ['txt', 'md', 'js', 'ts', 'json', 'log', 'csv', 'html'];
const BINARY_EXTENSIONS = ['bin', 'png', 'jpg', 'zip', 'dat', 'gz'];
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vi', 'so', 'pe', 'da', 'gu', 'ho', 'zi', 'fa', 'bre', 'stu', 'qua', 'ton', 'mar', 'lin'];

/** A vocabulary of made-up words (shared by file names and text content). */
export function makeVocabulary(seed: number, count = 2000): string[] {
  const prng = new Prng(seed, 0x7fffffff);
  const words = new Set<string>();
  while (words.size < count) {
    const syllableCount = prng.int(1, 4);
    let word = '';
    for (let i = 0; i < syllableCount; i++) word += prng.pick(SYLLABLES);
    words.add(word);
  }
  return [...words];
}

function planDirectories(prng: Prng, vocabulary: readonly string[], count: number): string[] {
  const dirs = [''];
  for (let i = 1; i < count; i++) {
    let parent = prng.pick(dirs);
    if (parent.split('/').length >= DIR_DEPTH_MAX) parent = '';
    const name = `${prng.pick(vocabulary)}-${i.toString(36)}`;
    dirs.push(parent === '' ? name : `${parent}/${name}`);
  }
  return dirs;
}

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function planEdits(prng: Prng, size: number): CorpusEdit[] {
  const count = prng.int(1, 5);
  const edits: CorpusEdit[] = [];
  // Edits at sorted, spaced positions so they never overlap; together they change well under 10% of the bytes.
  const span = Math.max(1, Math.floor(size / count));
  for (let i = 0; i < count; i++) {
    const at = Math.min(size, i * span + prng.int(0, Math.max(0, span - 1)));
    const room = Math.max(0, Math.min((i + 1) * span, size) - at - 1);
    edits.push({ at, deleteBytes: Math.min(room, prng.int(0, Math.ceil(span / 40))), insertBytes: prng.int(1, 4096) });
  }
  return edits;
}

function editedSize(size: number, edits: readonly CorpusEdit[]): number {
  return edits.reduce((total, edit) => total - edit.deleteBytes + edit.insertBytes, size);
}

function extensionOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? 'bin' : path.slice(dot + 1);
}

function planLargeFiles(spec: CorpusSpec, prng: Prng, dirs: readonly string[]): PlannedFile[] {
  const files: PlannedFile[] = [];
  let lastBinary = -1;
  for (let i = 0; i < spec.largeFileCount; i++) {
    const dir = prng.pick(dirs);
    const size = prng.int(spec.largeBytesMin, spec.largeBytesMax);
    const stream = 1_000_000 + i;
    if (i % 3 === 1 && lastBinary >= 0) {
      // A disk image and its edited copy: almost all bytes shared, nothing compressible.
      const edits = planEdits(prng, files[lastBinary]!.size);
      const content: PlannedContent = { kind: 'near-duplicate', of: lastBinary, stream, edits };
      files.push({ path: join(dir, `disk-${i}-edited.img`), size: editedSize(files[lastBinary]!.size, edits), content });
    } else if (i % 3 === 2) {
      files.push({ path: join(dir, `server-${i}.log`), size, content: { kind: 'text', stream } });
    } else {
      lastBinary = files.length;
      files.push({ path: join(dir, `disk-${i}.img`), size, content: { kind: 'binary', stream } });
    }
  }
  return files;
}

function planOrdinarySizes(prng: Prng, count: number, budgetBytes: number): number[] {
  // Log-normal sizes: many small files, a long tail of bigger ones, as real trees have.
  const weights = Array.from({ length: count }, () => Math.exp(1.4 * prng.normal()));
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => Math.min(ORDINARY_BYTES_MAX, Math.floor((budgetBytes * w) / sum)));
}

/** The whole corpus for `spec`: the same spec always gives the same plan. */
export function planCorpus(spec: CorpusSpec): PlannedFile[] {
  assert(spec.fileCount > spec.largeFileCount, 'a corpus needs ordinary files besides the large ones');
  const prng = new Prng(spec.seed, 1);
  const vocabulary = makeVocabulary(spec.seed);
  const dirs = planDirectories(prng, vocabulary, Math.max(1, Math.round(spec.fileCount / FILES_PER_DIR)));
  const files = planLargeFiles(spec, prng, dirs);
  const largeBytes = files.reduce((total, file) => total + file.size, 0);

  const ordinaryCount = spec.fileCount - files.length;
  const duplicateCount = Math.round(spec.fileCount * spec.duplicateFraction);
  const nearDuplicateCount = Math.round(spec.fileCount * spec.nearDuplicateFraction);
  const baseCount = ordinaryCount - duplicateCount - nearDuplicateCount;
  assert(baseCount >= 1, 'duplicate fractions leave no original files');
  // Copies pick random originals, so on average they cost an original's size: give originals their share.
  const sizes = planOrdinarySizes(prng, baseCount, (Math.max(0, spec.totalBytes - largeBytes) * baseCount) / ordinaryCount);
  const firstBase = files.length;
  for (const size of sizes) {
    const binary = prng.next() < spec.binaryFraction;
    const name = `${prng.pick(vocabulary)}-${files.length.toString(36)}.${prng.pick(binary ? BINARY_EXTENSIONS : TEXT_EXTENSIONS)}`;
    files.push({ path: join(prng.pick(dirs), name), size, content: { kind: binary ? 'binary' : 'text', stream: files.length } });
  }
  for (let i = 0; i < duplicateCount; i++) {
    const of = prng.int(firstBase, firstBase + baseCount - 1);
    const name = `${prng.pick(vocabulary)}-${files.length.toString(36)}.${extensionOf(files[of]!.path)}`;
    files.push({ path: join(prng.pick(dirs), name), size: files[of]!.size, content: { kind: 'duplicate', of } });
  }
  for (let i = 0; i < nearDuplicateCount; i++) {
    const of = prng.int(firstBase, firstBase + baseCount - 1);
    const source = files[of]!;
    const edits = planEdits(prng, source.size);
    const stem = source.path.slice(source.path.lastIndexOf('/') + 1).replace(/\.[^.]*$/, '');
    const name = `${stem}-v2-${files.length.toString(36)}.${extensionOf(source.path)}`;
    const content: PlannedContent = { kind: 'near-duplicate', of, stream: files.length, edits };
    files.push({ path: join(prng.pick(dirs), name), size: editedSize(source.size, edits), content });
  }
  return files;
}
