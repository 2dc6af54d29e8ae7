// Runs examples/watch-folder.ts so it cannot rot.
import { describe, expect, it } from 'vitest';
import { runExample } from '../../examples/watch-folder.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('examples/watch-folder.ts', () => {
  it('records, lists and restores versions of a watched folder', async () => {
    const result = await runExample(await makeTmpDir());
    expect(result.changes).toEqual([
      'created data/note.txt',
      'created data/config.json',
      'modified data/config.json',
      'renamed data/todo.txt',
    ]);
    expect(result.history).toEqual(['created', 'modified']);
    expect(result.restored).toBe('{"theme":"light"}\n');
  });
});
