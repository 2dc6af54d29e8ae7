// How records are named to people: `${root}/${path}` paths and short content ids.
import type { ContentIdBytes, EntryRecord } from './types.js';

export function displayPath(record: Pick<EntryRecord, 'root' | 'path'>): string {
  return `${record.root}/${record.path}`;
}

/** Splits a user-facing path `root/rel/path` into root and relative path (undefined rel for the root itself). */
export function splitDisplayPath(display: string): { root: string; path: string | undefined } {
  const clean = display.replace(/^\/+|\/+$/g, '');
  const at = clean.indexOf('/');
  return at < 0 ? { root: clean, path: undefined } : { root: clean.slice(0, at), path: clean.slice(at + 1) };
}

export function contentIdHex(id: ContentIdBytes): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

export function contentIdFromHex(hex: string): ContentIdBytes {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** The first 12 hex digits: enough to tell contents apart in a listing. */
export function shortContentId(id: ContentIdBytes): string {
  return contentIdHex(id).slice(0, 12);
}
