// Byte-poking helpers for damaged-log tests (LevelDB's log_test.cc style): each makes one precise change to a file
// on disk so a test can name the exact torn or corrupt shape it checks.
import { open, readFile, stat, truncate, writeFile } from 'node:fs/promises';

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
