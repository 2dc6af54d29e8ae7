import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyCollapsed,
  buildTreeRows,
  filterTreeRows,
  createPathFilter,
  filterPaths,
  parentRowIndex,
  selectPathRows,
  treeOrder,
  type PathRow,
} from '../../../src/explorer/model/index.js';
import { deleteRecord, MemoryCatalog, manyPaths, versionRecord } from './memory-catalog.js';

const catalog = new MemoryCatalog([
  versionRecord('home/a.txt'),
  versionRecord('home/a.txt'),
  versionRecord('home/docs', { type: 'dir' }),
  versionRecord('home/docs/Readme.md'),
  versionRecord('home/docs-old.txt'),
  versionRecord('home/docs/notes/todo.txt'),
  versionRecord('work/x.bin'),
]);
const paths = catalog.paths();
const labels = (rows: readonly PathRow[]) => rows.map((r) => `${'  '.repeat(r.depth)}${r.label}${r.kind === 'folder' ? '/' : ''}`);

describe('filterPaths', () => {
  it('matches a substring case-insensitively when the filter is lower case', () => {
    expect(filterPaths(paths, 'readme').map((p) => p.display)).toEqual(['home/docs/Readme.md']);
  });
  it('matches case-sensitively once the filter has an upper-case letter (smart case)', () => {
    expect(filterPaths(paths, 'README')).toEqual([]);
    expect(filterPaths(paths, 'Readme').map((p) => p.display)).toEqual(['home/docs/Readme.md']);
  });
  it('returns the input itself for an empty filter', () => {
    expect(filterPaths(paths, '')).toBe(paths);
  });
  it('narrowing while typing gives the same result as filtering from scratch', () => {
    const words = ['a', 'd', 'o', 'c', 's', '/', 'T', '.', 't', 'x'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { maxLength: 8 }), (typed) => {
        const filter = createPathFilter();
        let text = '';
        for (const ch of typed) {
          text += ch;
          expect(filter(paths, text)).toEqual(filterPaths(paths, text));
        }
        // Deleting characters (not a narrowing) must widen again.
        while (text.length > 0) {
          text = text.slice(0, -1);
          expect(filter(paths, text)).toEqual(filterPaths(paths, text));
        }
      }),
    );
  });
});

describe('tree rows', () => {
  it('puts children right after their folder, with a recorded directory becoming the folder', () => {
    const rows = buildTreeRows(treeOrder(paths));
    expect(labels(rows)).toEqual(['home/', '  a.txt', '  docs/', '    Readme.md', '    notes/', '      todo.txt', '  docs-old.txt', 'work/', '  x.bin']);
    const docs = rows.find((r) => r.key === 'home/docs');
    expect(docs).toMatchObject({ kind: 'folder', pathCount: 2, versionCount: 2 });
    expect(docs?.entry?.display).toBe('home/docs');
    expect(rows[0]).toMatchObject({ kind: 'folder', key: 'home', pathCount: 5, versionCount: 6, entry: undefined });
  });
  it('file → folder → file: the path keeps its own row beside the folder, so both are reachable', () => {
    const changing = new MemoryCatalog([
      versionRecord('r/x'),
      versionRecord('r/x', { type: 'dir' }),
      versionRecord('r/x/inner.txt'),
      deleteRecord('r/x/inner.txt'),
      versionRecord('r/x'),
      versionRecord('r/y', { type: 'dir' }),
      versionRecord('r/y/z.txt'),
    ]);
    const rows = buildTreeRows(treeOrder(changing.paths()));
    expect(labels(rows)).toEqual(['r/', '  x', '  x/', '    inner.txt', '  y/', '    z.txt']);
    const file = rows[1]!;
    expect(file).toMatchObject({ kind: 'entry', label: 'x' });
    expect(file.entry?.display).toBe('r/x');
    expect(file.entry?.count).toBe(3);
    expect(rows[2]).toMatchObject({ kind: 'folder', key: 'r/x', entry: undefined, pathCount: 1 });
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    // A directory now (y) is still its own folder row.
    expect(rows[4]).toMatchObject({ kind: 'folder', key: 'r/y' });
    expect(rows[4]!.entry?.display).toBe('r/y');
    // Collapsing the folder keeps the file row; a filter finds both.
    expect(labels(applyCollapsed(rows, new Set(['r/x'])))).toEqual(['r/', '  x', '  x/', '  y/', '    z.txt']);
    expect(labels(selectPathRows(changing.paths(), 'tree', 'r/x', new Set()))).toEqual(['r/', '  x', '  x/', '    inner.txt']);
  });
  it('hides what is below a collapsed folder and marks it', () => {
    const rows = applyCollapsed(buildTreeRows(treeOrder(paths)), new Set(['home/docs']));
    expect(labels(rows)).toEqual(['home/', '  a.txt', '  docs/', '  docs-old.txt', 'work/', '  x.bin']);
    expect(rows[2]).toMatchObject({ collapsed: true });
  });
  it('ignores collapsed folders while a filter is set, so every match shows', () => {
    const rows = selectPathRows(paths, 'tree', 'todo', new Set(['home/docs']));
    expect(labels(rows)).toEqual(['home/', '  docs/', '    notes/', '      todo.txt']);
  });
  it('finds a row parent', () => {
    const rows = buildTreeRows(treeOrder(paths));
    expect(rows[parentRowIndex(rows, 5)]!.key).toBe('home/docs/notes');
    expect(parentRowIndex(rows, 0)).toBe(-1);
  });
  it('memoises: the same inputs return the same array', () => {
    const collapsed = new Set<string>();
    expect(selectPathRows(paths, 'tree', '', collapsed)).toBe(selectPathRows(paths, 'tree', '', collapsed));
    expect(selectPathRows(paths, 'flat', 'a', collapsed)).toBe(selectPathRows(paths, 'flat', 'a', collapsed));
  });
  it('flat rows are the catalog order with full display paths', () => {
    expect(selectPathRows(paths, 'flat', '', new Set()).map((r) => r.label)).toEqual(paths.map((p) => p.display));
  });
});

describe('100,000 paths', () => {
  const big = manyPaths(100_000);
  it('builds a tree with one row per path plus its folders, and each folder counts what is below', () => {
    const rows = selectPathRows(big, 'tree', '', new Set());
    const entries = rows.filter((r) => r.kind === 'entry');
    const folders = rows.filter((r) => r.kind === 'folder');
    expect(entries).toHaveLength(100_000);
    expect(folders).toHaveLength(1 + 100 + 100 * 10);
    expect(folders[0]).toMatchObject({ key: 'root', pathCount: 100_000 });
    const dir7 = folders.find((r) => r.key === 'root/dir007');
    expect(dir7).toMatchObject({ pathCount: 1000 });
  });
  it('filters to exactly the matching paths in tree and flat layouts', () => {
    const flat = selectPathRows(big, 'flat', 'file09999', new Set());
    expect(flat.map((r) => r.key)).toEqual(Array.from({ length: 10 }, (_, i) => big.find((p) => p.display.endsWith(`file0${9999}${i}.txt`))!.display));
    const tree = selectPathRows(big, 'tree', 'file099990', new Set());
    expect(tree.filter((r) => r.kind === 'entry').map((r) => r.key)).toEqual(['root/dir090/sub9/file099990.txt']);
    expect(tree.map((r) => r.label)).toEqual(['root', 'dir090', 'sub9', 'file099990.txt']);
  });
  it('collapsing every top folder leaves 100 rows below the root', () => {
    const collapsed = new Set(Array.from({ length: 100 }, (_, i) => `root/dir${String(i).padStart(3, '0')}`));
    expect(selectPathRows(big, 'tree', '', collapsed)).toHaveLength(101);
  });
});

describe('filtered tree', () => {
  const summary = (rows: readonly PathRow[]) => rows.map((r) => [r.key, r.depth, r.kind, r.kind === 'folder' ? `${r.pathCount}/${r.versionCount}` : r.entry.count]);
  it('equals building the tree from the matching paths alone, for any filter', () => {
    const big = manyPaths(3000);
    const full = buildTreeRows(treeOrder(big));
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9/.]{1,6}$/), (text) => {
        const matched = filterPaths(treeOrder(big), text);
        expect(summary(filterTreeRows(full, matched))).toEqual(summary(buildTreeRows(matched)));
      }),
      { numRuns: 200 },
    );
  });
  it('keeps a recorded directory that matches as a folder, counted by its ancestors', () => {
    const full = buildTreeRows(treeOrder(paths));
    const rows = filterTreeRows(full, filterPaths(treeOrder(paths), 'docs'));
    expect(labels(rows)).toEqual(['home/', '  docs/', '    Readme.md', '    notes/', '      todo.txt', '  docs-old.txt']);
    expect(rows[0]).toMatchObject({ pathCount: 4 });
    expect(rows[1]).toMatchObject({ pathCount: 2 });
  });
});
