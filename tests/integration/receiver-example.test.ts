// Runs examples/receive-latest.ts so it cannot rot.
import { describe, expect, it } from 'vitest';
import { runExample } from '../../examples/receive-latest.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('examples/receive-latest.ts', () => {
  it('mirrors a watched folder live and keeps every version side by side', async () => {
    const result = await runExample(await makeTmpDir());
    expect(result.mirror).toEqual(['todo.txt']);
    expect(result.todo).toBe('remember the milk\nand the bread\n');
    expect(result.changes).toEqual(['created data/note.txt', 'deleted data/note.txt', 'renamed data/todo.txt', 'modified data/todo.txt']);
    expect(result.history).toHaveLength(2);
    expect(result.history.every((name) => /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z_[0-9a-f]{20}\.txt$/.test(name))).toBe(true);
  });
});
