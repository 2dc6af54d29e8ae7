// Runs examples/export-import.ts so it cannot rot.
import { describe, expect, it } from 'vitest';
import { runExample } from '../../examples/export-import.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('examples/export-import.ts', () => {
  it('moves a file history between logs, once', async () => {
    expect(await runExample(await makeTmpDir())).toEqual({
      exported: 2,
      imported: 2,
      again: 0,
      texts: ['buy milk\n', 'buy milk\nwrite docs\n'],
    });
  });
});
