// What the preview pane shows for a version: text as lines, binary as a short hex view with its size and detected
// type, symlinks and directories as one line, deletes as what they are. Pure: built from bytes already read.
import { detectBinaryType, hexLines, isText, textLines } from './content-kind.js';
import { displayName } from '../../util/display-name.js';
import { formatBytes } from './format.js';
import type { EntryItem } from './types.js';

/** Bytes of a binary version the hex view shows. */
export const HEX_PREVIEW_BYTES = 256;

export interface Preview {
  /** One line about the content: kind, size, type. */
  info: string;
  lines: string[];
  kind: 'text' | 'binary' | 'symlink' | 'dir' | 'delete';
}

/** The preview of `item` given its first bytes (`truncated` when the read stopped at the preview limit). */
export function buildPreview(item: EntryItem, bytes: Uint8Array | undefined, truncated: boolean): Preview {
  const record = item.record;
  if (record.kind === 'delete') {
    const what = record.renamedTo ? `renamed to ${displayName(`${record.root}/${record.renamedTo}`)}` : 'deleted';
    return { kind: 'delete', info: `tombstone: ${what}`, lines: [`(this entry records that the path was ${what})`] };
  }
  if (record.type === 'symlink') return { kind: 'symlink', info: 'symlink', lines: [`→ ${displayName(record.target ?? '')}`] };
  if (record.type === 'dir') return { kind: 'dir', info: 'directory', lines: ['(a directory version has no content)'] };
  const data = bytes ?? new Uint8Array();
  if (isText(data)) {
    const lines = textLines(new TextDecoder().decode(data));
    const more = truncated ? `, first ${formatBytes(data.length)} shown` : '';
    return { kind: 'text', info: `text, ${formatBytes(record.size)}, ${lines.length} lines${more}`, lines };
  }
  const type = detectBinaryType(data);
  const shown = Math.min(data.length, HEX_PREVIEW_BYTES);
  return {
    kind: 'binary',
    info: `${type}, ${formatBytes(record.size)} (${record.size} bytes); first ${shown} bytes`,
    lines: hexLines(data, HEX_PREVIEW_BYTES),
  };
}
