// Content checks: bytes re-cut at the manifest's chunk sizes, each chunk and the whole hashed.
import { blake3 } from '@napi-rs/blake-hash';
import { describe, expect, it } from 'vitest';
import { checkContent, checkedChunks } from '../../../src/archive/content-check.js';
import { ArchiveError } from '../../../src/errors.js';
import type { VersionRecord } from '../../../src/record/index.js';
import type { LogPath } from '../../../src/util/log-path.js';

const data = Buffer.from('abcdefghijklmnopqrstuvwxyz');
const cut = [10, 10, 6];
function recordFor(bytes: Buffer, sizes: number[]): VersionRecord {
  let at = 0;
  const chunks = sizes.map((size) => {
    const piece = bytes.subarray(at, at + size);
    at += size;
    return { id: new Uint8Array(blake3(piece)), size };
  });
  return {
    kind: 'version', versionId: '018f0000000012345678', time: 1, root: 'r', path: 'f' as LogPath, type: 'file', event: 'created',
    size: bytes.length, mtimeMs: 0, mode: 0o644, uid: 0, gid: 0, contentId: new Uint8Array(blake3(bytes)), chunks,
  };
}
async function* pieces(bytes: Buffer, step: number) {
  for (let i = 0; i < bytes.length; i += step) yield bytes.subarray(i, i + step);
}
async function reason(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ArchiveError);
  return String((error as ArchiveError).details.reason) + ': ' + (error as Error).message;
}

describe('checkedChunks', () => {
  it('yields the manifest chunks whatever the read sizes', async () => {
    for (const step of [1, 3, 7, 26, 100]) {
      const out: number[] = [];
      for await (const c of checkedChunks('a', 'f', recordFor(data, cut), pieces(data, step))) out.push(c.bytes.length);
      expect(out).toEqual(cut);
    }
  });

  it('accepts an empty file with no chunks', async () => {
    expect(await checkContent('a', 'f', recordFor(Buffer.alloc(0), []), pieces(Buffer.alloc(0), 1))).toBe(0);
  });

  it('refuses a flipped byte, extra bytes, missing bytes', async () => {
    const record = recordFor(data, cut);
    const flipped = Buffer.from(data);
    flipped[12]! ^= 1;
    expect(await reason(checkContent('a', 'f', record, pieces(flipped, 5)))).toMatch(/manifest-mismatch: .*chunk 1/);
    expect(await reason(checkContent('a', 'f', record, pieces(Buffer.concat([data, Buffer.from('!')]), 5)))).toMatch(/more than 26 bytes/);
    expect(await reason(checkContent('a', 'f', record, pieces(data.subarray(0, 20), 5)))).toMatch(/20 bytes in 2 chunks/);
  });

  it('refuses a content id that does not match the chunks', async () => {
    const record = { ...recordFor(data, cut), contentId: new Uint8Array(32) };
    expect(await reason(checkContent('a', 'f', record, pieces(data, 4)))).toMatch(/content id/);
  });
});
