// `synclog service install`: writes a system or --user unit for a checked config (and nothing for a bad one),
// --dry-run writes nothing, an existing different unit is kept unless --force; the units pass `systemd-analyze
// verify` where that binary exists (where it does not, the test says so and checks the rest); the shipped
// contrib/systemd files are what renderUnit makes, so they cannot drift from `service install`.
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { renderUnit, SHIPPED_UNITS } from '../../src/service/index.js';
import { quoteUnitWord } from '../../src/service/systemd.js';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

/** These tests start several processes: on a loaded 2-core machine (load 20+) they need more than the default. */
const SLOW_TEST_MS = 240_000;

const run = promisify(execFile);

async function systemdAnalyze(): Promise<string | undefined> {
  for (const dir of ['/usr/bin', '/bin', '/usr/local/bin']) {
    const path = join(dir, 'systemd-analyze');
    if (await readFile(path).then(() => true, () => false)) return path;
  }
  return undefined;
}

/** Exit status and stderr of `systemd-analyze [--user] verify FILE` (warnings count as failures). */
async function verify(analyze: string, file: string, user: boolean, runtimeDir: string): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(analyze, [...(user ? ['--user'] : []), 'verify', file], { env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir } });
    return { code: 0, stderr };
  } catch (error) {
    const e = error as { code?: number; stderr?: string };
    return { code: e.code ?? 1, stderr: e.stderr ?? '' };
  }
}

describe('synclog service install', { timeout: SLOW_TEST_MS }, () => {
  it('writes a system and a --user unit that systemd-analyze verify accepts, and prints how to enable them', async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'docs'));
    await writeFile(join(work, 'synclog.toml'), 'log = "log"\n[[folders]]\npath = "docs"\n');
    const system = await runCli(['service', 'install', '--config', join(work, 'synclog.toml'), '--unit-dir', join(work, 'system')]);
    expect(system.code, system.stderr).toBe(0);
    expect(system.stdout).toContain('sudo systemctl enable --now synclog.service');
    const user = await runCli(['service', 'install', '--user', '--config', join(work, 'synclog.toml'), '--unit-dir', join(work, 'user'), '--json']);
    expect(user.code, user.stderr).toBe(0);
    expect(JSON.parse(user.stdout).next).toContain('systemctl --user enable --now synclog.service');
    const systemUnit = await readFile(join(work, 'system', 'synclog.service'), 'utf8');
    expect(systemUnit).toContain(`ExecStart=${process.execPath} ${join(REPO_ROOT, 'bin', 'synclog.js')} run --config ${join(work, 'synclog.toml')}`);
    expect(systemUnit).toContain('WantedBy=multi-user.target');
    expect(await readFile(join(work, 'user', 'synclog.service'), 'utf8')).toContain('WantedBy=default.target');
    const analyze = await systemdAnalyze();
    if (analyze === undefined) {
      console.log('systemd-analyze not found on this machine: unit verification not run (the unit contents were checked)');
      return;
    }
    const runtime = join(work, 'runtime');
    await mkdir(runtime, { mode: 0o700 });
    for (const [file, isUser] of [[join(work, 'system', 'synclog.service'), false], [join(work, 'user', 'synclog.service'), true]] as const) {
      const result = await verify(analyze, file, isUser, runtime);
      expect(result, file).toEqual({ code: 0, stderr: '' });
    }
    // The check can fail: a unit naming a program that is not there is refused.
    await writeFile(join(work, 'broken.service'), systemUnit.replace(process.execPath, join(work, 'no-such-node')));
    expect((await verify(analyze, join(work, 'broken.service'), false, runtime)).code).not.toBe(0);
  });

  it('--user without --unit-dir writes under $XDG_CONFIG_HOME, else $HOME/.config (a temp HOME here, never the real one)', async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'docs'));
    await writeFile(join(work, 'synclog.toml'), 'log = "log"\n[[folders]]\npath = "docs"\n');
    const xdg = await runCli(['service', 'install', '--user', '--config', join(work, 'synclog.toml')], { env: { HOME: join(work, 'home'), XDG_CONFIG_HOME: join(work, 'xdg') } });
    expect(xdg.code, xdg.stderr).toBe(0);
    expect(xdg.stdout).toContain(`wrote ${join(work, 'xdg', 'systemd', 'user', 'synclog.service')}`);
    expect(xdg.stdout).toContain('systemctl --user daemon-reload');
    expect(xdg.stdout).toContain('systemctl --user enable --now synclog.service');
    const home = await runCli(['service', 'install', '--user', '--name', 'notes', '--config', join(work, 'synclog.toml')], { env: { HOME: join(work, 'home'), XDG_CONFIG_HOME: undefined } });
    expect(home.code, home.stderr).toBe(0);
    expect(await readdir(join(work, 'home', '.config', 'systemd', 'user'))).toEqual(['notes.service']);
    expect(await readdir(join(work, 'xdg', 'systemd', 'user'))).toEqual(['synclog.service']);
  });

  it('writes nothing for a bad config, with --dry-run, or over a different unit without --force', async () => {
    const work = await makeTmpDir();
    await writeFile(join(work, 'bad.toml'), 'log = "log"\n[[folders]]\npaht = "docs"\n');
    const bad = await runCli(['service', 'install', '--config', join(work, 'bad.toml'), '--unit-dir', join(work, 'units')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad.toml:3: folders[0].paht: unknown key');
    await mkdir(join(work, 'docs'));
    await writeFile(join(work, 'ok.toml'), 'log = "log"\n[[folders]]\npath = "docs"\n');
    const dry = await runCli(['service', 'install', '--config', join(work, 'ok.toml'), '--unit-dir', join(work, 'units'), '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('ExecStart=');
    expect(await readdir(work)).not.toContain('units');
    await mkdir(join(work, 'units'));
    await writeFile(join(work, 'units', 'synclog.service'), '# mine\n');
    const kept = await runCli(['service', 'install', '--config', join(work, 'ok.toml'), '--unit-dir', join(work, 'units')]);
    expect(kept.code).toBe(2);
    expect(await readFile(join(work, 'units', 'synclog.service'), 'utf8')).toBe('# mine\n');
    const forced = await runCli(['service', 'install', '--config', join(work, 'ok.toml'), '--unit-dir', join(work, 'units'), '--force']);
    expect(forced.code).toBe(0);
    expect(await readFile(join(work, 'units', 'synclog.service'), 'utf8')).toContain('ExecStart=');
  });

  it('ships contrib/systemd units equal to what renderUnit makes', async () => {
    for (const [name, options] of Object.entries(SHIPPED_UNITS)) {
      expect(await readFile(join(REPO_ROOT, 'contrib', 'systemd', name), 'utf8'), name).toBe(renderUnit(options));
    }
  });

  it('quotes ExecStart words so that systemd expands nothing', () => {
    expect(quoteUnitWord('/opt/my synclog/bin/synclog.js')).toBe('"/opt/my synclog/bin/synclog.js"');
    expect(quoteUnitWord('/etc/100%/$HOME.toml')).toBe('"/etc/100%%/$$HOME.toml"');
    expect(quoteUnitWord('a"b\\c d')).toBe('"a\\"b\\\\c d"');
  });
});
