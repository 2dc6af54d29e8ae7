// File names at the filesystem's limit (255 bytes, ASCII and multi-byte) go through `synclog snapshot` and
// `synclog receive` in both modes: the receiver's temp file beside such a name must not push it over the limit
// (before the fix, a name over 229 bytes could not be written at all: ENAMETOOLONG on the temp file).
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const NAMES = ['a'.repeat(255), `${'é'.repeat(125)}.txt`, `${'b'.repeat(230)}.data`];

describe('synclog receive with names at the length limit', () => {
  for (const mode of ['latest', 'all-versions'] as const) {
    it(`${mode}: writes every file, with no temp file left behind`, async () => {
      const work = await makeTmpDir();
      const source = join(work, 'src');
      await mkdir(source);
      for (const [i, name] of NAMES.entries()) await writeFile(join(source, name), `content ${i}\n`);
      const logDir = join(work, 'log');
      const snap = await runCli(['snapshot', source, '--log', logDir, '--json']);
      expect(snap.code, snap.stderr).toBe(0);
      const dest = join(work, 'dest');
      const result = await runCli(['receive', '--log', logDir, '--out', dest, '--mode', mode, '--once', '--json']);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, mode });
      if (mode === 'latest') {
        for (const [i, name] of NAMES.entries()) expect(await readFile(join(dest, 'src', name), 'utf8')).toBe(`content ${i}\n`);
        expect((await readdir(join(dest, 'src'))).sort()).toEqual([...NAMES].sort());
      } else {
        for (const [i, name] of NAMES.entries()) {
          const versions = await readdir(join(dest, '.versions', 'src', name));
          expect(versions).toHaveLength(1);
          expect(await readFile(join(dest, '.versions', 'src', name, versions[0]!), 'utf8')).toBe(`content ${i}\n`);
        }
      }
    });
  }
});
