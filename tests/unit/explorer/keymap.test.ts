import { describe, expect, it } from 'vitest';
import { INTENTS, KEYMAP, helpLines, intentOf, splitKeys, typedText } from '../../../src/explorer/model/index.js';

describe('keymap', () => {
  it('the help lists a key for every intent', () => {
    const listed = new Set(KEYMAP.map((b) => b.intent));
    expect(INTENTS.filter((i) => !listed.has(i))).toEqual([]);
    const help = helpLines().join('\n');
    for (const binding of KEYMAP) expect(help).toContain(binding.help);
  });

  it('each single-character key in the table means its intent', () => {
    for (const binding of KEYMAP) {
      for (const name of binding.keys.split(' ')) {
        if (/^[!-~]$/.test(name)) expect(intentOf(name, {}), name).toBe(binding.intent);
      }
    }
    expect(intentOf(' ', {})).toBe('mark');
  });

  it('maps arrows, pages, Home/End, Enter, Esc and ctrl keys', () => {
    expect(intentOf('', { upArrow: true })).toBe('up');
    expect(intentOf('', { pageDown: true })).toBe('pageDown');
    expect(intentOf('', { end: true })).toBe('bottom');
    expect(intentOf('', { return: true })).toBe('open');
    expect(intentOf('', { escape: true, meta: true })).toBe('back');
    expect(intentOf('c', { ctrl: true })).toBe('quit');
    expect(intentOf('f', { ctrl: true })).toBe('pageDown');
    expect(intentOf('x', {})).toBeUndefined();
  });

  it('typed text keeps printable characters only', () => {
    expect(typedText('ab\u001b[31mc', {})).toBe('ab[31mc');
    expect(typedText('a', { ctrl: true })).toBe('');
  });

  it('splits a read holding several keys into one event per key', () => {
    expect(splitKeys('G\r', {})).toEqual([
      { input: 'G', key: { shift: true } },
      { input: '', key: { return: true } },
    ]);
    expect(splitKeys('j', { meta: true })).toEqual([
      { input: '', key: { escape: true } },
      { input: 'j', key: { shift: false } },
    ]);
    expect(splitKeys('', { escape: true, meta: true })).toEqual([{ input: '', key: { escape: true, meta: true } }]);
    expect(splitKeys('ab\u007f', {}).map((k) => k.input || Object.keys(k.key)[0])).toEqual(['a', 'b', 'backspace']);
  });
});
