import { describe, expect, it } from 'vitest';
import { UnsafePathError } from '../../../src/errors.js';
import { isValidLogPath, parentLogPath, resolveInside, toLogPath, validateLogPath } from '../../../src/util/log-path.js';

function reasonOf(path: unknown): string | undefined {
  try {
    validateLogPath(path);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(UnsafePathError);
    return (error as UnsafePathError).details.reason as string;
  }
}

describe('validateLogPath', () => {
  it('accepts normal relative paths', () => {
    for (const p of ['a', 'a/b/c.txt', 'notes/2026 plan.md', 'ünïcode/файл', '.hidden/x', 'a..b/c..']) {
      expect(isValidLogPath(p)).toBe(true);
    }
  });
  it.each([
    ['', 'empty'],
    ['/etc/passwd', 'absolute'],
    ['C:/x', 'absolute'],
    ['../x', 'dotdot'],
    ['a/../../x', 'dotdot'],
    ['a/..', 'dotdot'],
    ['a//b', 'not-normalized'],
    ['a/./b', 'not-normalized'],
    ['a/', 'not-normalized'],
    ['a\\..\\b', 'backslash'],
    ['a\0b', 'nul'],
  ])('refuses %j (%s)', (path, reason) => {
    expect(reasonOf(path)).toBe(reason);
  });
  it('refuses non-strings, over-long and over-deep paths', () => {
    expect(reasonOf(42)).toBe('not-a-string');
    expect(reasonOf('x'.repeat(5000))).toBe('too-long');
    expect(reasonOf(Array(300).fill('d').join('/'))).toBe('too-deep');
    expect(reasonOf('a/' + 'n'.repeat(256))).toBe('too-long');
  });
});

describe('resolveInside / toLogPath', () => {
  it('keeps results inside the root', () => {
    expect(resolveInside('/dest', 'a/b')).toBe('/dest/a/b');
    expect(() => resolveInside('/dest', '../b')).toThrow(UnsafePathError);
    expect(() => resolveInside('/dest', '/abs')).toThrow(UnsafePathError);
  });
  it('gives exactly what path.resolve gives, strictly inside the root, or refuses (random paths)', async () => {
    const fc = await import('fast-check');
    const { relative, resolve } = await import('node:path');
    const component = fc.constantFrom('a', 'b.txt', '.', '..', '', '...', '..a', 'a..', ' ', 'é', '\\', '~', '.git');
    for (const root of ['/dest', '/dest/', '/']) {
      fc.assert(
        fc.property(fc.array(component, { minLength: 1, maxLength: 6 }), fc.boolean(), (parts, leadingSlash) => {
          const path = (leadingSlash ? '/' : '') + parts.join('/');
          let target: string;
          try {
            target = resolveInside(root, path);
          } catch (error) {
            expect(error).toBeInstanceOf(UnsafePathError);
            return;
          }
          expect(target).toBe(resolve(root, ...parts));
          const rel = relative(resolve(root), target);
          expect(rel === '' || rel === '..' || rel.startsWith('../')).toBe(false);
        }),
        { numRuns: 500 },
      );
    }
  });
  it('converts OS paths below a root and refuses others', () => {
    expect(toLogPath('/w/data', '/w/data/x/y.txt')).toBe('x/y.txt');
    expect(() => toLogPath('/w/data', '/w/other/y.txt')).toThrow(UnsafePathError);
    expect(() => toLogPath('/w/data', '/w/data')).toThrow(UnsafePathError);
  });
  it('names the parent', () => {
    expect(parentLogPath(validateLogPath('a/b/c'))).toBe('a/b');
    expect(parentLogPath(validateLogPath('a'))).toBeUndefined();
  });
});
