import { describe, expect, it } from 'vitest';
import { assignRootNames, baseRootName, knownRootsOf } from '../../../src/watcher/root-names.js';

describe('root names', () => {
  it('names a root by its basename', () => {
    expect([...assignRootNames(['/home/a/data', '/srv/photos']).values()]).toEqual(['data', 'photos']);
  });

  it('de-duplicates roots that share a basename', () => {
    expect([...assignRootNames(['/a/data', '/b/data', '/c/data']).values()]).toEqual(['data', 'data-2', 'data-3']);
  });

  it('keeps the name a log already gave a directory, and never gives it to another one', () => {
    const known = new Map([['/b/data', 'data']]);
    const names = assignRootNames(['/a/data', '/b/data'], known);
    expect(names.get('/b/data')).toBe('data');
    expect(names.get('/a/data')).toBe('data-2');
  });

  it('names the file-system root "root"', () => {
    expect(baseRootName('/')).toBe('root');
  });

  it('reads root names from watch records (the latest record for a directory wins)', async () => {
    async function* entries() {
      yield { record: { kind: 'watch', rootPath: '/a/data', root: 'data' } };
      yield { record: { kind: 'version' } };
      yield { record: { kind: 'watch', rootPath: '/a/data', root: 'data-2' } };
    }
    expect(await knownRootsOf(entries())).toEqual(new Map([['/a/data', 'data-2']]));
  });
});
