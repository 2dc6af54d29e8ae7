// The bytes of corpus files: compressible text from a made-up vocabulary, incompressible binary from an AES-CTR
// keystream, and edited copies. Deterministic from (seed, stream); never touches the disk.
// Why AES-CTR: a keystream is incompressible, costs nothing to produce at GB/s, and is identical on every machine.
import { createCipheriv, createHash } from 'node:crypto';
import type { CorpusEdit } from './corpus-plan.js';
import { Prng } from './prng.js';

const SPACE = 0x20;
const NEWLINE = 0x0a;

/** Turns a vocabulary into byte strings once, so text generation only copies bytes. */
export function encodeVocabulary(vocabulary: readonly string[]): Buffer[] {
  return vocabulary.map((word) => Buffer.from(word, 'utf8'));
}

/**
 * `size` bytes of text-like content: words with a skewed (Zipf-like) frequency, numbers, lines of varying length,
 * some indentation. Compresses about as well as source code or logs do. Continue one `prng` for a long file.
 */
export function textBytes(prng: Prng, words: readonly Buffer[], size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let position = 0;
  let wordsLeftInLine = prng.int(3, 14);
  while (position < size) {
    const r = prng.next();
    if (r < 0.08) {
      position += out.write(String(prng.nextUint32() % 100000), position, 'latin1');
    } else {
      const word = words[Math.floor(words.length * r * r * r)]!;
      position += word.copy(out, position, 0, Math.min(word.length, size - position));
    }
    if (position >= size) break;
    if (--wordsLeftInLine > 0) {
      out[position++] = SPACE;
      continue;
    }
    out[position++] = NEWLINE;
    wordsLeftInLine = prng.int(3, 14);
    const indent = prng.int(0, 3) * 2;
    for (let i = 0; i < indent && position < size; i++) out[position++] = SPACE;
  }
  return out;
}

/** A generator of incompressible bytes for (seed, stream): call `next(n)` repeatedly for a long file. */
export function binaryStream(seed: number, stream: number): { next(size: number): Buffer } {
  const key = createHash('sha256').update(`synclog-bench-corpus:${seed}:${stream}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return {
    next(size: number): Buffer {
      return cipher.update(Buffer.alloc(size));
    },
  };
}

/** Applies sorted, non-overlapping edits to `source`; `insert(n)` supplies the inserted bytes in order. */
export function applyEdits(source: Buffer, edits: readonly CorpusEdit[], insert: (size: number) => Buffer): Buffer {
  const pieces: Buffer[] = [];
  let from = 0;
  for (const edit of edits) {
    const at = Math.max(from, Math.min(edit.at, source.length));
    pieces.push(source.subarray(from, at), insert(edit.insertBytes));
    from = Math.min(source.length, at + edit.deleteBytes);
  }
  pieces.push(source.subarray(from));
  return Buffer.concat(pieces);
}
