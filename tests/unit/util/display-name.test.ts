// Issue 13 item 8 "names are data, not terminal commands": the one escaping rule for human output.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayName, visibleText } from '../../../src/util/display-name.js';

/** No character a terminal acts on or hides: C0, DEL, C1, format (bidi, zero-width), separators, lone surrogates. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/** Reads the shown form back (the test's own oracle for the documented rule): string names. */
function readBack(shown: string): string {
  if (!shown.startsWith('"')) return shown;
  const body = shown.slice(1, -1);
  return body.replace(/\\(x[0-9a-f]{2}|u\{[0-9a-f]+\}|.)/gu, (_m, e: string) => {
    if (e.startsWith('x')) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (e.startsWith('u{')) return String.fromCodePoint(parseInt(e.slice(2, -1), 16));
    return ({ n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"' } as Record<string, string>)[e]!;
  });
}

describe('names are data: displayName', () => {
  it('leaves plain names unchanged (ASCII, spaces, non-ASCII text, emoji)', () => {
    for (const name of ['src/a.txt', 'my file.txt', 'données/été.md', '日本語/ファイル', 'ok 👍', "it's"]) expect(displayName(name)).toBe(name);
  });

  it('quotes and escapes C0, DEL, C1, ESC sequences, newline, tab, backslash and quotes', () => {
    expect(displayName('a\u001b[2Jb')).toBe('"a\\x1b[2Jb"');
    expect(displayName('line1\nmodified fake')).toBe('"line1\\nmodified fake"');
    expect(displayName('a\tb\rc')).toBe('"a\\tb\\rc"');
    expect(displayName('del\u007f')).toBe('"del\\x7f"');
    expect(displayName('c1\u0085\u009b')).toBe('"c1\\u{85}\\u{9b}"');
    expect(displayName('back\\slash')).toBe('"back\\\\slash"');
    expect(displayName('"quoted"')).toBe('"\\"quoted\\""');
    expect(displayName('nul\u0000')).toBe('"nul\\x00"');
  });

  it('makes bidi controls and other format characters visible (Trojan Source)', () => {
    expect(displayName('bidi\u202etxt.exe')).toBe('"bidi\\u{202e}txt.exe"');
    expect(displayName('\u2066x\u2069')).toBe('"\\u{2066}x\\u{2069}"');
    expect(displayName('zero\u200bwidth\ufeff')).toBe('"zero\\u{200b}width\\u{feff}"');
    expect(displayName('sep\u2028\u2029')).toBe('"sep\\u{2028}\\u{2029}"');
    expect(displayName('lone\ud800')).toBe('"lone\\u{d800}"');
  });

  it('shows invalid UTF-8 bytes as \\xHH, distinct from a real U+FFFD and from each other', () => {
    const bad = new Uint8Array([0x62, 0x61, 0x64, 0xff, 0xfe]);
    const other = new Uint8Array([0x62, 0x61, 0x64, 0xfe, 0xff]);
    expect(displayName(bad)).toBe('"bad\\xff\\xfe"');
    expect(displayName(other)).toBe('"bad\\xfe\\xff"');
    expect(displayName(Buffer.from('bad\ufffd\ufffd'))).toBe('bad\ufffd\ufffd');
    expect(displayName(new Uint8Array([0xc3, 0xa9, 0xc0, 0xaf, 0xed, 0xa0, 0x80]))).toBe('"é\\xc0\\xaf\\xed\\xa0\\x80"'); // overlong, surrogate
    expect(displayName(Buffer.from('plain/é'))).toBe('plain/é');
    expect(displayName(Buffer.from('a\u001bb'))).toBe('"a\\x1bb"');
  });

  it('property: the shown form holds no control character and reads back to the name (injective)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (name) => {
        const shown = displayName(name);
        expect(CONTROL.test(shown)).toBe(false);
        expect(readBack(shown)).toBe(name);
      }),
      { numRuns: 300 },
    );
  });

  it('property: byte names never show a control character, and different bytes never look the same', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), fc.uint8Array({ maxLength: 24 }), (a, b) => {
        expect(CONTROL.test(displayName(a))).toBe(false);
        if (Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0) expect(displayName(a)).not.toBe(displayName(b));
      }),
      { numRuns: 300 },
    );
  });
});

describe('names are data: visibleText (the output guard)', () => {
  it('escapes control and format characters in prose, keeps quotes and backslashes', () => {
    expect(visibleText('cannot read "src/a\u001b[2J": ENOENT')).toBe('cannot read "src/a\\x1b[2J": ENOENT');
    expect(visibleText('a\\b \u202e\n')).toBe('a\\b \\u{202e}\\n');
    expect(visibleText('plain text')).toBe('plain text');
  });

  it('property: its output holds no control character and leaves displayName output unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        expect(CONTROL.test(visibleText(text))).toBe(false);
        expect(visibleText(displayName(text))).toBe(displayName(text));
      }),
    );
  });
});
