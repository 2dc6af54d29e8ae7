// How names reach a person's terminal. File names, link targets, owner and root names, archive entry names and the
// messages that embed them are data: a name may hold any character the file system allows. Printed raw, `ESC [2J`
// clears the screen, a newline forges an extra output line, a bidi override (U+202E) makes a name read as another
// (Trojan Source). This module owns the one escaping rule for human output; `--json` never goes through it.
//
// The rule (git's C-style quoting, with hex escapes): a name that needs no escape is shown as it is. Otherwise it is
// shown in double quotes, with `\\` and `\"` for a backslash and a quote, `\t` `\n` `\r` for those three, `\xHH` for
// every other C0 control and DEL (and, in a name given as bytes, for each byte that is not valid UTF-8), and
// `\u{H…}` for C1 controls, Unicode format characters (bidi embeddings, overrides and isolates, zero-width
// characters, the BOM), line and paragraph separators and lone surrogates. A name with a quote or a backslash is
// quoted too, so the rule is injective: two different names never look the same, and the shown form reads back.

/** Characters shown as escapes: C0, DEL, C1, and the Unicode categories Cf, Zl, Zp and Cs (lone surrogates). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const CONTROL_ALL = new RegExp(CONTROL.source, 'gu');
const QUOTED = /[\u0000-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Cs}"\\]/u;
const QUOTED_ALL = new RegExp(QUOTED.source, 'gu');

const NAMED: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeChar(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.codePointAt(0)!;
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * Splits bytes into valid UTF-8 text runs and single invalid bytes (strict: no overlong forms, no surrogates, at most
 * U+10FFFF), so that a Linux name that is not UTF-8 is shown byte by byte instead of as colliding U+FFFD marks.
 */
function decodeBytes(bytes: Uint8Array): { text: string; invalid: boolean }[] {
  const parts: { text: string; invalid: boolean }[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  let i = 0;
  const flush = (end: number) => {
    if (end > start) parts.push({ text: decoder.decode(bytes.subarray(start, end)), invalid: false });
  };
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    flush(i);
    parts.push({ text: `\\x${bytes[i]!.toString(16).padStart(2, '0')}`, invalid: true });
    i += 1;
    start = i;
  }
  flush(i);
  return parts;
}

/** The length of the valid UTF-8 sequence at `at`, or 0 when the byte there does not start one. */
function utf8SequenceLength(bytes: Uint8Array, at: number): number {
  const b0 = bytes[at]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => at + k < bytes.length && bytes[at + k]! >= lo && bytes[at + k]! <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/**
 * A name (path, link target, owner, root, archive entry) as a person should see it: unchanged when it is plain, else
 * quoted with every control, format and separator character (and every invalid UTF-8 byte) made visible.
 */
export function displayName(name: string | Uint8Array): string {
  if (typeof name === 'string') return QUOTED.test(name) ? `"${name.replace(QUOTED_ALL, escapeChar)}"` : name;
  const parts = decodeBytes(name);
  if (parts.every((p) => !p.invalid)) return displayName(parts.map((p) => p.text).join(''));
  return `"${parts.map((p) => (p.invalid ? p.text : p.text.replace(QUOTED_ALL, escapeChar))).join('')}"`;
}

/**
 * The last guard at a human output sink (a printed line, an explorer line, an error message): control, format and
 * separator characters become visible escapes; everything else, quotes and backslashes included, stays. Use
 * displayName for names themselves (only it is injective); this cannot tell a name from the prose around it.
 */
export function visibleText(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROL_ALL, escapeChar) : text;
}
