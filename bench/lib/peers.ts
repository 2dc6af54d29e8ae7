// The peers a user would pick instead of synclog, as BackupTool adapters, and their installation from Debian's
// packages when missing (apt-get update once, then apt-get install -y; we run as root on the bench machines).
// Peers run with their defaults; every deviation is listed in `settings` and in bench/README.md.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupTool } from './backup-tool.js';
import { directoryBytes } from './backup-tool.js';
import { runChecked, runProgram } from './child-process.js';

export const PEER_PACKAGES = { restic: 'restic', borg: 'borgbackup', git: 'git', rsync: 'rsync' } as const;
export type PeerName = keyof typeof PEER_PACKAGES;

async function installed(command: string): Promise<boolean> {
  return (await runProgram('sh', ['-c', `command -v ${command}`])).code === 0;
}

/** Installs missing peers with apt-get; returns a reason per peer that is still missing afterwards. */
export async function ensurePeers(install: boolean, log: (line: string) => void): Promise<Map<PeerName, string>> {
  const names = Object.keys(PEER_PACKAGES) as PeerName[];
  const missing: PeerName[] = [];
  for (const name of names) if (!(await installed(name))) missing.push(name);
  const reasons = new Map<PeerName, string>();
  if (missing.length === 0) return reasons;
  if (!install) {
    for (const name of missing) reasons.set(name, 'not installed (--no-install)');
    return reasons;
  }
  log(`installing ${missing.map((name) => PEER_PACKAGES[name]).join(', ')} with apt-get…`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  // Another process may hold the dpkg lock for a while (unattended upgrades, a colleague's install): wait for it.
  const lockWait = ['-o', 'DPkg::Lock::Timeout=600'];
  const update = await runProgram('apt-get', [...lockWait, 'update'], { env });
  const result = await runProgram('apt-get', [...lockWait, 'install', '-y', ...missing.map((name) => PEER_PACKAGES[name])], { env });
  for (const name of missing) {
    if (!(await installed(name))) {
      const why = (result.stderr || update.stderr).trim().split('\n').pop() ?? 'unknown error';
      reasons.set(name, `not installed: apt-get failed (${why})`);
    }
  }
  return reasons;
}

async function versionOf(program: string, args: string[]): Promise<string> {
  const result = await runProgram(program, args);
  return (result.stdout || result.stderr).trim().split('\n')[0] ?? 'unknown';
}

/** restic with a password from the environment (restic always encrypts), its cache under `home`. */
export async function resticTool(home: string, unavailable?: string): Promise<BackupTool> {
  const env = { RESTIC_PASSWORD: 'synclog-bench', RESTIC_CACHE_DIR: join(home, 'restic-cache') };
  return {
    name: 'restic',
    unavailable,
    version: unavailable ? undefined : await versionOf('restic', ['version']),
    settings: 'defaults (repository format 2 via "stable", compression auto, AES encryption always on); password via RESTIC_PASSWORD; cache dir in the work dir',
    async init(repo) {
      await runChecked('restic', ['init', '--repo', repo], { env });
    },
    async backup(repo, source) {
      await runChecked('restic', ['backup', '--repo', repo, source], { env });
    },
    storedBytes: directoryBytes,
    async restore(repo, _source, target) {
      await runChecked('restic', ['restore', 'latest', '--repo', repo, '--target', target], { env });
    },
    restoredRoot(source, target) {
      // restic records the absolute source path and restores below the target under it.
      return join(target, source);
    },
  };
}

/** borg 1.x, unencrypted repository, default compression (lz4), its cache and keys under `home`. */
export async function borgTool(home: string, unavailable?: string): Promise<BackupTool> {
  const env = {
    BORG_BASE_DIR: join(home, 'borg'),
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
  };
  const lastArchive = new Map<string, string>();
  return {
    name: 'borg',
    unavailable,
    version: unavailable ? undefined : await versionOf('borg', ['--version']),
    settings: 'borg init --encryption none; otherwise defaults (lz4 compression, default chunker)',
    async init(repo) {
      await runChecked('borg', ['init', '--encryption', 'none', repo], { env });
    },
    async backup(repo, source, label) {
      await runChecked('borg', ['create', `${repo}::${label}`, '.'], { env, cwd: source });
      lastArchive.set(repo, label);
    },
    storedBytes: directoryBytes,
    async restore(repo, _source, target) {
      await mkdir(target, { recursive: true });
      await runChecked('borg', ['extract', `${repo}::${lastArchive.get(repo) ?? 'missing'}`], { env, cwd: target });
    },
  };
}

/** git with a bare repository and the source as work tree; auto gc off so no background repack overlaps a timing. */
export async function gitTool(home: string, unavailable?: string): Promise<BackupTool> {
  const env = { HOME: home, GIT_CONFIG_NOSYSTEM: '1' };
  const config = ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', '-c', 'gc.auto=0'];
  const git = (repo: string, source: string, args: string[]) =>
    runChecked('git', [...config, `--git-dir=${repo}`, `--work-tree=${source}`, ...args], { env });
  return {
    name: 'git',
    unavailable,
    version: unavailable ? undefined : await versionOf('git', ['--version']),
    settings: 'git add -A && git commit (bare repo, source as work tree); gc.auto=0 (history: explicit git gc, timed); core.fsync defaults (loose objects not fsynced; the trailing sync covers them)',
    async init(repo) {
      await runChecked('git', ['init', '-q', '--bare', repo], { env });
    },
    async backup(repo, source, label) {
      await git(repo, source, ['add', '-A']);
      await git(repo, source, ['commit', '-q', '--allow-empty', '-m', label]);
    },
    async compact(repo) {
      await runChecked('git', [...config, `--git-dir=${repo}`, 'gc', '-q'], { env });
    },
    storedBytes: directoryBytes,
  };
}

/** rsync -a as the plain-copy baseline for restore (it keeps no history, so it has no backup step). */
export async function rsyncTool(unavailable?: string): Promise<BackupTool> {
  return {
    name: 'rsync',
    unavailable,
    version: unavailable ? undefined : await versionOf('rsync', ['--version']),
    settings: 'rsync -a source/ target/ (a plain copy; no fsync by default, the trailing sync covers it)',
    async init() {},
    async backup() {},
    storedBytes: directoryBytes,
    async restore(_repo, source, target) {
      await runChecked('rsync', ['-a', `${source}/`, `${target}/`]);
    },
  };
}
