// The name a losing concurrent version is kept under (docs/sync.md): `name.sync-conflict-YYYYMMDD-HHMMSS-<node>.ext`,
// from the loser's own mtime and writer, so every node derives the same name. Pure.

/** The short id that names a node in conflict copies: the first 8 hex digits of its log's salt. */
export function shortNodeId(logId: string): string {
  return logId.slice(logId.indexOf('-') + 1).slice(0, 8);
}

/** `a/b/notes.md` + 2026-12-02T11:00:00Z + aaaa1111 → `a/b/notes.sync-conflict-20261202-110000-aaaa1111.md`. */
export function conflictCopyPath(path: string, mtimeMs: number, shortId: string): string {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  // A dot file (.bashrc) or a name without a dot has no extension.
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const t = new Date(Number.isFinite(mtimeMs) ? mtimeMs : 0);
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}-${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}`;
  return `${dir}${stem}.sync-conflict-${stamp}-${shortId}${ext}`;
}

/** True for a name conflictCopyPath made (such a copy never gets a conflict copy of its own name scheme nested). */
export function isConflictCopy(path: string): boolean {
  return /\.sync-conflict-\d{8}-\d{6}-[0-9a-f]{8}(\.[^/]*)?$/.test(path);
}
