// Real history nobody here wrote: successive published versions of one npm package, fetched with `npm pack` into
// bench/.cache/ (once) and unpacked, then laid one after another onto a single working tree as its successive states.
//
// Why prettier 3.0.0 … 3.7.3: each tarball is ~2 MB (~7.5 MB, ~50 files unpacked), so 30 versions are ~225 MB of
// states yet fetch and ingest within minutes; it ships large bundled JS files that change a little in every
// release, which is exactly what content-defined chunking and delta packing compete on. typescript (~20 MB per
// tarball, ~40 MB unpacked) would not fit 30 versions in a short run. The versions are pinned so results from
// different dates compare.
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runChecked } from './child-process.js';

/** A package and the versions of it a scenario replays (pinned so results from different dates compare). */
export interface HistoryPackage {
  name: string;
  versions: readonly string[];
}

export const HISTORY_PACKAGE = 'prettier';
export const HISTORY_VERSIONS = [
  '3.0.0', '3.0.1', '3.0.2', '3.0.3', '3.1.0', '3.1.1', '3.2.0', '3.2.1', '3.2.2', '3.2.3',
  '3.2.4', '3.2.5', '3.3.0', '3.3.1', '3.3.2', '3.3.3', '3.4.0', '3.4.1', '3.4.2', '3.5.0',
  '3.5.1', '3.5.2', '3.5.3', '3.6.0', '3.6.1', '3.6.2', '3.7.0', '3.7.1', '3.7.2', '3.7.3',
] as const;

export const PRETTIER_HISTORY: HistoryPackage = { name: HISTORY_PACKAGE, versions: HISTORY_VERSIONS };

/**
 * typescript 4.8.2 … 5.9.3 (every stable release in that span): ~22 MB and ~100 files unpacked, most of it a few
 * large bundled lib/*.js files that change in every release: a catch-up that replays every version writes each of
 * them 30 times. Tarballs are ~4 MB, so 30 versions fetch in about a minute.
 */
export const TYPESCRIPT_HISTORY: HistoryPackage = {
  name: 'typescript',
  versions: [
    '4.8.2', '4.8.3', '4.8.4', '4.9.3', '4.9.4', '4.9.5', '5.0.2', '5.0.3', '5.0.4', '5.1.3',
    '5.1.5', '5.1.6', '5.2.2', '5.3.2', '5.3.3', '5.4.2', '5.4.3', '5.4.4', '5.4.5', '5.5.2',
    '5.5.3', '5.5.4', '5.6.2', '5.6.3', '5.7.2', '5.7.3', '5.8.2', '5.8.3', '5.9.2', '5.9.3',
  ],
};

export interface HistoryVersion {
  version: string;
  /** The unpacked package (the tarball's package/ folder). */
  dir: string;
}

const exists = (path: string) => access(path).then(() => true, () => false);

/** The last `count` pinned versions of `pkg` (default prettier), fetched and unpacked under `cacheDir` (reused). */
export async function ensureHistory(cacheDir: string, count: number, log: (line: string) => void, pkg: HistoryPackage = PRETTIER_HISTORY): Promise<HistoryVersion[]> {
  const name = pkg.name;
  const base = join(cacheDir, 'npm', name);
  await mkdir(base, { recursive: true });
  const versions = pkg.versions.slice(Math.max(0, pkg.versions.length - count));
  const result: HistoryVersion[] = [];
  for (const version of versions) {
    const dir = join(base, version);
    const marker = join(base, `${version}.complete`);
    if (!(await exists(marker))) {
      log(`  fetching ${name}@${version} with npm pack`);
      const tarball = join(base, `${name}-${version}.tgz`);
      if (!(await exists(tarball))) await runChecked('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', base], { cwd: base });
      const partial = `${dir}.partial`;
      await rm(partial, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
      await mkdir(partial, { recursive: true });
      await runChecked('tar', ['xzf', tarball, '-C', partial, '--strip-components=1', '--no-same-owner']);
      await rename(partial, dir);
      await writeFile(marker, `${new Date().toISOString()}\n`);
    }
    result.push({ version, dir });
  }
  return result;
}

async function listTree(root: string): Promise<{ files: Set<string>; dirs: Set<string> }> {
  const files = new Set<string>();
  const dirs = new Set<string>();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        dirs.add(rel);
        await walk(join(dir, entry.name), rel);
      } else if (entry.isFile()) files.add(rel);
    }
  };
  await walk(root, '');
  return { files, dirs };
}

/**
 * Makes `target` hold exactly what `source` holds, the way an upgrade in place would: files whose bytes are
 * unchanged are left alone (same inode, same mtime), changed and new files are rewritten, vanished ones deleted.
 * Returns the bytes of the resulting tree.
 */
export async function syncTree(source: string, target: string): Promise<number> {
  await mkdir(target, { recursive: true });
  const want = await listTree(source);
  const have = await listTree(target);
  let totalBytes = 0;
  for (const rel of [...want.files].sort()) {
    const bytes = await readFile(join(source, rel));
    totalBytes += bytes.length;
    const path = join(target, rel);
    if (have.files.has(rel)) {
      const current = await stat(path);
      if (current.size === bytes.length && (await readFile(path)).equals(bytes)) continue;
    }
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  }
  for (const rel of have.files) if (!want.files.has(rel)) await rm(join(target, rel), { force: true });
  for (const rel of [...have.dirs].sort().reverse()) if (!want.dirs.has(rel)) await rm(join(target, rel), { recursive: true, force: true });
  return totalBytes;
}
