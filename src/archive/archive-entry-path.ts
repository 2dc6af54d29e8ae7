// The one path gate for archive entries (node-tar's single gate, built on src/util/log-path.ts). Every entry name and
// every link target read from an archive passes through here before anything else looks at it.
// Never: trusts a name, resolves a path against the real file system, or follows a link.
// Invariant: a name that leaves this file is a valid LogPath relative to the archive root; a link target that is
// accepted resolves (lexically) to a place inside the archive root.
import { posix } from 'node:path';
import { ArchiveError, UnsafePathError } from '../errors.js';
import { validateLogPath, type LogPath } from '../util/log-path.js';

/** Why an entry was refused; the fault tests are named after these (tests/fault/archive-<reason>.test.ts). */
export type ArchiveRefusal =
  | 'dotdot'
  | 'absolute'
  | 'unsafe-path'
  | 'symlink-escape'
  | 'hardlink-escape'
  | 'hardlink-unknown'
  | 'through-symlink'
  | 'not-a-directory'
  | 'device'
  | 'fifo'
  | 'unsupported-type'
  | 'duplicate-path'
  | 'manifest-mismatch'
  | 'manifest-invalid'
  | 'truncated'
  | 'corrupt-gzip'
  | 'corrupt-tar'
  | 'unsupported-compression'
  | 'version-id-conflict'
  | 'bomb-size'
  | 'bomb-ratio'
  | 'too-many-entries';

export function refuseEntry(
  archive: string,
  entry: string,
  reason: ArchiveRefusal,
  what: string,
  extra: Record<string, unknown> = {},
  cause?: unknown,
): never {
  throw new ArchiveError(`archive ${archive}: entry ${JSON.stringify(entry)}: ${what}`, { archive, entry, reason, ...extra }, { cause });
}

/**
 * Turns a raw tar entry name into a LogPath relative to the archive root, or throws ArchiveError naming the entry.
 * Accepted spellings other tools write: a leading `./` (tar -C dir .) and a trailing `/` on directories.
 * Returns undefined for the archive root itself (`./`, `.`), which carries nothing to import.
 */
export function archiveEntryPath(rawName: unknown, archive: string): LogPath | undefined {
  const raw = typeof rawName === 'string' ? rawName : String(rawName);
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) refuseEntry(archive, raw, 'absolute', 'absolute path');
  let name = raw;
  while (name.startsWith('./')) name = name.slice(2);
  while (name.endsWith('/')) name = name.slice(0, -1);
  if (name === '' || name === '.') return undefined;
  try {
    return validateLogPath(name);
  } catch (error) {
    if (!(error instanceof UnsafePathError)) throw error;
    const reason = error.details.reason;
    const refusal: ArchiveRefusal = reason === 'dotdot' ? 'dotdot' : reason === 'absolute' ? 'absolute' : 'unsafe-path';
    return refuseEntry(archive, raw, refusal, error.message, { pathReason: reason }, error);
  }
}

/**
 * Checks a symlink entry's target: it must resolve, from the link's own directory, to a place inside the archive
 * root (an absolute target or one that climbs out with `..` is how extraction attacks write through links).
 */
export function symlinkTargetInside(linkPath: LogPath, target: string): boolean {
  if (target === '' || target.includes('\0') || target.startsWith('/') || /^[A-Za-z]:/.test(target)) return false;
  const joined = posix.normalize(posix.join(posix.dirname(linkPath), target));
  return joined !== '..' && !joined.startsWith('../') && !posix.isAbsolute(joined);
}

/** A hard link's target is an archive path like an entry name; it must pass the same gate. */
export function hardlinkTargetPath(entry: string, target: unknown, archive: string): LogPath {
  try {
    const path = archiveEntryPath(target, archive);
    if (path === undefined) refuseEntry(archive, entry, 'hardlink-escape', 'hard link to the archive root');
    return path;
  } catch (error) {
    if (error instanceof ArchiveError && error.details.entry !== entry) {
      refuseEntry(archive, entry, 'hardlink-escape', `hard link target ${JSON.stringify(target)} is outside the archive`, { target }, error);
    }
    throw error;
  }
}
