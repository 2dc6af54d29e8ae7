import { describe, expect, it } from 'vitest';
import type { LogRecord, WatchRecord } from '../../../src/record/index.js';
import { validateLogPath } from '../../../src/util/log-path.js';
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
    const watch = (root: string): WatchRecord => ({ kind: 'watch', event: 'start', time: 1, root, rootPath: '/a/data', host: 'h', pid: 1, user: 'u' });
    async function* entries(): AsyncGenerator<{ record: LogRecord }> {
      yield { record: watch('data') };
      yield { record: { kind: 'delete', time: 2, root: 'data', path: validateLogPath('x'), type: 'file', versionId: '00000000000000000000' } };
      yield { record: watch('data-2') };
    }
    expect(await knownRootsOf(entries())).toEqual(new Map([['/a/data', 'data-2']]));
  });
});
