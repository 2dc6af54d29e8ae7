// `run --check` and `service install` look at what a config names on disk: a folder that is not a directory, a
// credential file that cannot be read, a short webhook secret, an exec hook's program that cannot be run are each a
// problem with its line and key (a config that passed --check used to fail at every start instead).
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatConfigProblem, loadConfig, type ConfigProblem } from '../../../src/service/index.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

async function problemsOf(file: string): Promise<string[]> {
  try {
    await loadConfig(file, { files: true });
  } catch (error) {
    const problems = (error as { details?: { problems?: ConfigProblem[] } }).details?.problems;
    if (problems) return problems.map(formatConfigProblem);
    throw error;
  }
  return [];
}

describe('config files on disk (loadConfig files: true)', () => {
  it('names each folder, file and hook program that is not there, by line and key, in file order', async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'docs'));
    await writeFile(join(work, 'plain'), 'x');
    await writeFile(join(work, 'short-secret'), 'abc\n');
    await writeFile(join(work, 'not-executable.sh'), '#!/bin/sh\n');
    const text = [
      'log = "log"',
      '[[folders]]',
      'path = "docs"',
      '[[folders]]',
      'path = "missing"',
      '[[folders]]',
      'path = "plain"',
      '[serve]',
      'token_file = "no-tokens"',
      '[[hooks]]',
      'exec = ["./not-executable.sh"]',
      '[[hooks]]',
      'exec = ["synclog-no-such-program"]',
      '[[hooks]]',
      'url = "http://127.0.0.1:1/"',
      'secret_file = "short-secret"',
      '',
    ].join('\n');
    await writeFile(join(work, 'synclog.toml'), text);
    expect(await problemsOf(join(work, 'synclog.toml'))).toEqual([
      `synclog.toml:5: folders[1].path: ${join(work, 'missing')} does not exist`,
      `synclog.toml:7: folders[2].path: ${join(work, 'plain')} is not a directory`,
      `synclog.toml:9: serve.token_file: ${join(work, 'no-tokens')} does not exist`,
      `synclog.toml:11: hooks[0].exec: ${join(work, 'not-executable.sh')} is not an executable file`,
      'synclog.toml:13: hooks[1].exec: synclog-no-such-program is not found on $PATH (under systemd, PATH is its default: better give the program\'s absolute path)',
      `synclog.toml:16: hooks[2].secret_file: webhook secret in ${join(work, 'short-secret')} is shorter than 16 bytes`,
    ]);
    // Without `files` the text alone is checked: the same config loads.
    await expect(loadConfig(join(work, 'synclog.toml'))).resolves.toMatchObject({ folders: [{}, {}, {}] });
  });

  it('accepts what is there: a folder, a readable secret, a program on $PATH and one by path', async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'docs'));
    await writeFile(join(work, 'secret'), 'a-long-enough-secret-line\n');
    await writeFile(join(work, 'hook.sh'), '#!/bin/sh\n');
    await chmod(join(work, 'hook.sh'), 0o755);
    await writeFile(join(work, 'synclog.json'), JSON.stringify({ log: 'log', folders: [{ path: 'docs' }], hooks: [{ exec: ['sh', '-c', 'true'] }, { exec: ['./hook.sh'] }, { url: 'http://127.0.0.1:1/', secret_file: 'secret' }] }, null, 2));
    expect(await problemsOf(join(work, 'synclog.json'))).toEqual([]);
  });
});
