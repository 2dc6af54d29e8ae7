// Byte-poking helpers for damaged-log tests (LevelDB's log_test.cc style): each makes one precise change to a file
// on disk so a test can name the exact torn or corrupt shape it checks.
import { open, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { initChecksum, xxh64 } from '../../src/log/checksum.js';
import { FRAME_CHECKSUM_START, FRAME_HEADER_BYTES, FRAME_OFFSET } from '../../src/log/format.js';
import { decodeSegmentHeader } from '../../src/log/segment-header.js';

/** XORs the byte at `offset` with `mask` (default: flip every bit). */
export async function flipByte(path: string, offset: number, mask = 0xff): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] = byte[0]! ^ mask;
    await handle.write(byte, 0, 1, offset);
  } finally {
    await handle.close();
  }
}

/** Overwrites bytes at `offset`. */
export async function writeBytesAt(path: string, offset: number, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, offset);
  } finally {
    await handle.close();
  }
}

/** Cuts the file to `size` bytes. */
export async function truncateTo(path: string, size: number): Promise<void> {
  await truncate(path, size);
}

/** Removes the last `bytes` bytes. */
export async function dropTail(path: string, bytes: number): Promise<void> {
  const { size } = await stat(path);
  await truncate(path, Math.max(0, size - bytes));
}

/** Appends raw bytes (garbage, zeros, a copied frame) to the end. */
export async function appendBytes(path: string, bytes: Uint8Array): Promise<void> {
  await writeFile(path, bytes, { flag: 'a' });
}

/** Sets a little-endian u32 at `offset` (a frame's length field). */
export async function setU32(path: string, offset: number, value: number): Promise<void> {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value >>> 0, 0);
  await writeBytesAt(path, offset, bytes);
}

export async function readBytes(path: string, offset: number, length: number): Promise<Uint8Array> {
  const all = await readFile(path);
  return new Uint8Array(all.subarray(offset, offset + length));
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

/**
 * XORs the byte at `byteOffset` (inside the frame that starts at `frameOffset`) with `mask`, then writes the frame's
 * checksum again with the segment's salt: the frame verifies, its payload is wrong. The shape of damage no frame
 * check can see (a bad disk sector rewritten with the same checksum, a bug above the log): only a content hash can.
 */
export async function flipByteResealed(path: string, frameOffset: number, byteOffset: number, mask = 0xff): Promise<void> {
  await initChecksum();
  await flipByte(path, byteOffset, mask);
  const segment = new Uint8Array(await readFile(path));
  const header = decodeSegmentHeader(segment);
  if (header.kind !== 'header') throw new Error(`flipByteResealed: ${path} has no valid segment header`);
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  const payloadBytes = view.getUint32(frameOffset + FRAME_OFFSET.length, true);
  const end = frameOffset + FRAME_HEADER_BYTES + payloadBytes;
  if (byteOffset < frameOffset + FRAME_HEADER_BYTES || byteOffset >= end) throw new Error('flipByteResealed: the byte is not in the frame payload');
  const sum = Buffer.alloc(8);
  sum.writeBigUInt64LE(xxh64(segment.subarray(frameOffset + FRAME_CHECKSUM_START, end), header.header.salt));
  await writeBytesAt(path, frameOffset + FRAME_OFFSET.checksum, sum);
}
