// Example: move history between logs with an archive. Records two versions of a file into one log (through the
// store API, as a watcher would), exports that file's whole history to a .tar.gz, and imports it into a second log:
// the versions arrive with their ids, times and contents, and importing the same archive again adds nothing.
// Run: npx tsx examples/export-import.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportArchive, importArchive } from '../src/archive/index.js';
import { newVersionId, type VersionRecord } from '../src/record/index.js';
import { openStore, type StoreApi } from '../src/store/index.js';
import type { LogPath } from '../src/util/log-path.js';

/** Stores `text` as a new version of notes/todo.txt (chunks first, then the version record: the commit point). */
async function recordVersion(store: StoreApi, text: string): Promise<VersionRecord> {
  const content = await store.ingestStream((async function* () {
    yield Buffer.from(text);
  })());
  const now = Date.now();
  const version: VersionRecord = {
    kind: 'version', versionId: newVersionId(now), time: now, root: 'notes', path: 'todo.txt' as LogPath,
    type: 'file', event: 'modified', size: content.size, mtimeMs: now, mode: 0o644, uid: 1000, gid: 1000,
    contentId: content.contentId, chunks: content.chunks,
  };
  await store.appendRecords([version]);
  return version;
}

export async function runExample(workDir: string): Promise<{ exported: number; imported: number; again: number; texts: string[] }> {
  const source = await openStore(join(workDir, 'laptop.synclog'));
  await recordVersion(source, 'buy milk\n');
  await recordVersion(source, 'buy milk\nwrite docs\n');
  const archive = join(workDir, 'todo-history.tar.gz');
  const exported = await exportArchive(source, { kind: 'path', path: 'notes/todo.txt' }, archive);
  await source.close();

  const target = await openStore(join(workDir, 'desktop.synclog'));
  try {
    const imported = await importArchive(target, archive);
    const again = await importArchive(target, archive);
    const catalog = await target.catalog();
    const texts: string[] = [];
    for (const { record } of catalog.history('notes', 'todo.txt')) {
      if (record.kind !== 'version') continue;
      const pieces: Uint8Array[] = [];
      for await (const piece of target.readContent(record.chunks ?? [])) pieces.push(piece);
      texts.push(Buffer.concat(pieces).toString());
    }
    return { exported: exported.versions, imported: imported.versions, again: again.versions, texts };
  } finally {
    await target.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = await mkdtemp(join(tmpdir(), 'synclog-example-'));
  try {
    const result = await runExample(dir);
    console.log(`exported ${result.exported} versions, imported ${result.imported}, imported again: ${result.again}`);
    result.texts.forEach((text, i) => console.log(`version ${i + 1}: ${JSON.stringify(text)}`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
