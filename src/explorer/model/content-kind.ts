// What a version's bytes are, for the preview: text (shown as lines) or binary (a short hex view with the type
// its magic number names). Pure; looks at bytes already read, never at the file system.

/** Magic numbers, checked in order at offset 0 (offset given otherwise). */
const MAGIC: readonly { type: string; bytes: readonly number[]; offset?: number }[] = [
  { type: 'png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'jpeg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'gif', bytes: [0x47, 0x49, 0x46, 0x38] },
  { type: 'gzip', bytes: [0x1f, 0x8b] },
  { type: 'zip', bytes: [0x50, 0x4b, 0x03, 0x04] },
  { type: 'zip', bytes: [0x50, 0x4b, 0x05, 0x06] },
  { type: 'pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  { type: 'elf', bytes: [0x7f, 0x45, 0x4c, 0x46] },
  { type: 'bzip2', bytes: [0x42, 0x5a, 0x68] },
  { type: 'xz', bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { type: 'zstd', bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { type: '7z', bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { type: 'sqlite', bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20, 0x66, 0x6f, 0x72, 0x6d, 0x61, 0x74, 0x20, 0x33, 0x00] },
  { type: 'wasm', bytes: [0x00, 0x61, 0x73, 0x6d] },
  { type: 'mach-o', bytes: [0xcf, 0xfa, 0xed, 0xfe] },
  { type: 'pe (windows executable)', bytes: [0x4d, 0x5a] },
  { type: 'tar', bytes: [0x75, 0x73, 0x74, 0x61, 0x72], offset: 257 },
];

/** The type a magic number names, or 'binary'. */
export function detectBinaryType(bytes: Uint8Array): string {
  for (const magic of MAGIC) {
    const at = magic.offset ?? 0;
    if (bytes.length < at + magic.bytes.length) continue;
    if (magic.bytes.every((b, i) => bytes[at + i] === b)) return magic.type;
  }
  return 'binary';
}

/** How many leading bytes decide text or binary. */
const SNIFF_BYTES = 8192;

/**
 * Text when the first bytes hold no NUL and decode as UTF-8 (a multi-byte character cut at the sniff or read
 * boundary is allowed: streaming decode keeps it pending instead of failing). Known binary magic wins over that.
 */
export function isText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, SNIFF_BYTES);
  if (head.includes(0)) return false;
  if (detectBinaryType(bytes) !== 'binary') return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** `00000000  89 50 4e 47 …  |.PNG....|` lines, 16 bytes each. */
export function hexLines(bytes: Uint8Array, bytesMax: number): string[] {
  const lines: string[] = [];
  const end = Math.min(bytes.length, bytesMax);
  for (let offset = 0; offset < end; offset += 16) {
    const row = bytes.subarray(offset, Math.min(offset + 16, end));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  return lines;
}

/** Splits text into display lines: tabs expanded, control characters made visible, no trailing empty line. */
export function textLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.map(displayLine);
}

/** One line as the terminal should show it: tabs to spaces, other control characters as '?'. */
export function displayLine(line: string): string {
  // Escape sequences from a file must never reach the terminal (they could move the cursor or change colours).
  return line.replaceAll('\t', '    ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
