// Content ids: BLAKE3-256 of uncompressed bytes (chunks and whole files). Owns hashing and the map-key form of an
// id; never reads files. Invariant: an id is always exactly 32 bytes.
import { createRequire } from 'node:module';
import { assert } from '../util/assert.js';
import { contentIdHex, type ContentIdBytes } from '../record/index.js';

export const CONTENT_ID_BYTES = 32;

type BlakeBinding = typeof import('@napi-rs/blake-hash');

/**
 * The native BLAKE3 binding. On glibc Linux the platform package is loaded directly: the package's own loader first
 * asks process.report.getReport() whether libc is musl, which built a whole diagnostic report in every thread that
 * hashes (profiled: 6-16 ms per thread, main and each worker, on every command). Anywhere else, or if that package
 * is missing or does not load (musl), the package's loader decides as before.
 */
function loadBlake(): BlakeBinding {
  const require = createRequire(import.meta.url);
  if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')) {
    try {
      return require(`@napi-rs/blake-hash-linux-${process.arch}-gnu`) as BlakeBinding;
    } catch {
      // musl, or the package is not installed for this machine: the generic loader below finds the right one.
    }
  }
  return require('@napi-rs/blake-hash') as BlakeBinding;
}

const { Blake3Hasher, blake3 } = loadBlake();

/** A Buffer view of the same bytes (no copy): the native hasher's typings take Buffers. */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** BLAKE3-256 of `data` (native, ~5 GB/s here). */
export function hashContent(data: Uint8Array): ContentIdBytes {
  return new Uint8Array(blake3(asBuffer(data))); // own 32-byte buffer: ids are posted between threads
}

/** Incremental whole-content hash for a stream of pieces. */
export class ContentHasher {
  private readonly hasher = new Blake3Hasher();
  size = 0;

  update(piece: Uint8Array): void {
    this.hasher.update(asBuffer(piece));
    this.size += piece.length;
  }

  digest(): ContentIdBytes {
    const digest = this.hasher.digestBuffer();
    assert(digest.length === CONTENT_ID_BYTES, 'BLAKE3 digest is not 32 bytes');
    return new Uint8Array(digest);
  }
}

/** Equality of two ids without allocating. */
export function sameContentId(a: ContentIdBytes, b: ContentIdBytes): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Hex form, usable as a Map key and in messages. */
export { contentIdHex };

export function isContentIdHex(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
