// Reading a small file a user names (a token file, a certificate, a secret): whole, with a size bound, an I/O error
// naming the file, and a UsageError for one that is too large (a wrong path to a big file must not be slurped).
import { readFile } from 'node:fs/promises';
import { UsageError, wrapIoError } from '../errors.js';

export async function readSmallFile(path: string, what: string, bytesMax: number): Promise<Buffer> {
  const bytes = await readFile(path).catch((error: unknown) => {
    throw wrapIoError(error, `read ${what}`, path);
  });
  if (bytes.length > bytesMax) throw new UsageError(`${what} ${path} is larger than ${bytesMax} bytes`, {});
  return bytes;
}
