import { describe, expect, it } from 'vitest';
import { buildPreview, detectBinaryType, displayLine, hexLines, isText, textLines, unifiedDiff, wrap, formatBytes, pathRowText, versionRowText } from '../../../src/explorer/model/index.js';
import { versionRecord, deleteRecord } from './memory-catalog.js';

const bytes = (...b: number[]) => new Uint8Array(b);

describe('content kind', () => {
  it('names binary types by their magic numbers', () => {
    expect(detectBinaryType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toBe('png');
    expect(detectBinaryType(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('jpeg');
    expect(detectBinaryType(bytes(0x1f, 0x8b, 8))).toBe('gzip');
    expect(detectBinaryType(bytes(0x50, 0x4b, 3, 4))).toBe('zip');
    expect(detectBinaryType(new TextEncoder().encode('%PDF-1.7'))).toBe('pdf');
    expect(detectBinaryType(bytes(0x7f, 0x45, 0x4c, 0x46, 2))).toBe('elf');
    expect(detectBinaryType(bytes(1, 2, 3))).toBe('binary');
  });
  it('tells text from binary (NUL, invalid UTF-8, magic) and allows a character cut at the end', () => {
    expect(isText(new TextEncoder().encode('héllo\n'))).toBe(true);
    expect(isText(new TextEncoder().encode('hé').subarray(0, 2))).toBe(true);
    expect(isText(bytes(0x61, 0, 0x62))).toBe(false);
    expect(isText(bytes(0xff, 0xfe, 0x41))).toBe(false);
    expect(isText(new TextEncoder().encode('%PDF-1.7 text-looking'))).toBe(false);
    expect(isText(new Uint8Array())).toBe(true);
  });
  it('hex view: offset, 16 bytes, printable column', () => {
    const lines = hexLines(new TextEncoder().encode('ABCDEFGHIJKLMNOPQ'), 256);
    expect(lines[0]).toBe('00000000  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|');
    expect(lines[1]).toMatch(/^00000010  51\s+\|Q\|$/);
    expect(hexLines(new Uint8Array(1000), 256)).toHaveLength(16);
  });
  it('never lets terminal escapes from a file through', () => {
    expect(displayLine('a\u001b[2Jb\tc')).toBe('a?[2Jb    c');
    expect(textLines('x\r\ny\n')).toEqual(['x', 'y']);
  });
  it('previews text, binary, symlinks and tombstones', () => {
    const item = (record: ReturnType<typeof versionRecord> | ReturnType<typeof deleteRecord>) => ({ seq: 0, segment: 's', offset: 0, record });
    expect(buildPreview(item(versionRecord('r/a', { size: 3 })), new TextEncoder().encode('a\nb'), false)).toMatchObject({ kind: 'text', lines: ['a', 'b'] });
    const png = buildPreview(item(versionRecord('r/p', { size: 5000 })), bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), true);
    expect(png.kind).toBe('binary');
    expect(png.info).toContain('png, 4.9 KiB (5000 bytes)');
    expect(buildPreview(item(versionRecord('r/l', { type: 'symlink', target: '../x' })), undefined, false).lines).toEqual(['→ ../x']);
    expect(buildPreview(item(deleteRecord('r/d', { renamedTo: 'e' as never })), undefined, false).info).toContain('renamed to r/e');
  });
});

describe('unified diff', () => {
  it('types each line and keeps a hunk header', () => {
    const lines = unifiedDiff({ label: 'a', text: 'one\ntwo\n' }, { label: 'b', text: 'one\n2\n' });
    expect(lines.map((l) => l.kind)).toEqual(['header', 'header', 'hunk', 'context', 'remove', 'add']);
    expect(lines.map((l) => l.text)).toContain('-two');
  });
  it('says so when both sides are the same', () => {
    expect(unifiedDiff({ label: 'a', text: 'x' }, { label: 'b', text: 'x' })).toEqual([{ kind: 'note', text: 'The two versions have identical content.' }]);
  });
  it('marks a missing newline at the end', () => {
    const lines = unifiedDiff({ label: 'a', text: 'x\n' }, { label: 'b', text: 'y' });
    expect(lines.some((l) => l.kind === 'note' && l.text.includes('No newline'))).toBe(true);
  });
});

describe('line text', () => {
  it('fits every row into the width', () => {
    const long = versionRecord(`r/${'very-long-name/'.repeat(10)}file.txt`);
    const row = { kind: 'entry' as const, key: 'k', depth: 3, label: long.path, entry: { root: 'r', path: long.path, display: `r/${long.path}`, count: 12, latest: { seq: 0, segment: 's', offset: 0, record: long }, deleted: false } };
    for (const width of [20, 50, 80, 120]) {
      expect(pathRowText(row, true, width).length).toBeLessThanOrEqual(width);
      expect(versionRowText(row.entry.latest, false, true, width).length).toBeLessThanOrEqual(width);
    }
    expect(pathRowText(row, true, 80)).toMatch(/^> {6}…[a-z/-]+\/file\.txt\s+12 versions$/);
  });
  it('wraps sentences and cuts words longer than the width', () => {
    expect(wrap('aa bb cc', 5)).toEqual(['aa bb', 'cc']);
    expect(wrap('abcdefgh', 3)).toEqual(['abc', 'def', 'gh']);
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });
});

describe('names are data in the explorer rows', () => {
  it('a path row shows a name with ESC and a newline escaped', async () => {
    const { pathRowText: rowText } = await import('../../../src/explorer/model/index.js');
    const entry = { root: 'src', path: 'a\u001b[2J\nb', display: 'src/a\u001b[2J\nb', count: 1, deleted: false } as never;
    const text = rowText({ kind: 'entry', key: 'src/a', depth: 0, label: 'src/a\u001b[2J\nb', entry }, false, 60);
    expect(text).toContain('"src/a\\x1b[2J\\nb"');
    expect(text).not.toMatch(/[\u001b\n]/);
  });
});
