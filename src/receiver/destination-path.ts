// The receiver's path gate: turns (root, path) from a record into an absolute path inside the destination, and
// decides whether a symlink target stays inside it. Defence in depth: src/record already refuses bad paths on
// decode; this gate checks again, names the record (seq, segment, offset) and also keeps roots off the names the
// receiver reserves for itself. Never touches the disk (parent components are checked by Destination).
// Invariant: every path it returns is strictly inside `destRoot`.
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { UnsafePathError, type UnsafePathReason } from '../errors.js';
import { resolveInside, validateLogPath } from '../util/log-path.js';
import type { RecordWhere } from './types.js';

/** The receiver's own state (cursor, manifest, lock) inside the destination. */
export const RECEIVER_STATE_DIR = '.synclog-receiver';
/** all-versions: the history folder inside the destination. */
export const VERSIONS_DIR = '.versions';

export function describeWhere(where: RecordWhere): string {
  return `record #${where.seq} (segment ${where.segment}, offset ${where.offset})`;
}

export function refuseRecord(where: RecordWhere, path: string, reason: UnsafePathReason, what: string): never {
  throw new UnsafePathError(`${describeWhere(where)} refused: path ${JSON.stringify(path)} ${what}`, {
    path,
    reason,
    seq: where.seq,
    segment: where.segment,
    offset: where.offset,
  });
}

/** Re-throws a path-gate error with the record named. */
function rethrowWithWhere(error: unknown, where: RecordWhere, path: string): never {
  if (error instanceof UnsafePathError) refuseRecord(where, path, error.details.reason as UnsafePathReason, `is unsafe (${error.message})`);
  throw error;
}

/** A top-level name under `dest` that `inner` lives in, if it lives inside it (a log kept inside the destination). */
export function topNameInside(dest: string, inner: string): string | undefined {
  const rel = relative(dest, inner);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep)[0];
}

export class DestinationPaths {
  private readonly reserved: ReadonlySet<string>;

  /** `extraReserved`: more top-level names roots may not take (e.g. the log's folder when it sits inside). */
  constructor(
    readonly destRoot: string,
    extraReserved: readonly string[] = [],
  ) {
    this.reserved = new Set([RECEIVER_STATE_DIR, VERSIONS_DIR, ...extraReserved]);
  }

  /** Checks a root name: one valid component, not reserved. */
  checkRoot(root: unknown, where: RecordWhere): string {
    const text = String(root);
    try {
      validateLogPath(root);
    } catch (error) {
      rethrowWithWhere(error, where, text);
    }
    if (text.includes('/')) refuseRecord(where, text, 'not-normalized', 'is not a single root name');
    if (this.reserved.has(text)) refuseRecord(where, text, 'reserved', 'is a name the receiver keeps for itself');
    return text;
  }

  /** DEST/<root>/<path>: where the latest state of an entry lives. */
  entryPath(root: string, path: string, where: RecordWhere): string {
    const safeRoot = this.checkRoot(root, where);
    return this.inside([safeRoot, path], where, `${safeRoot}/${path}`);
  }

  /** DEST/.versions/<root>/<path>/<name>: the history folder of one entry, and a file in it. */
  versionPath(root: string, path: string, name: string, where: RecordWhere): string {
    const safeRoot = this.checkRoot(root, where);
    return this.inside([VERSIONS_DIR, safeRoot, path, name], where, `${safeRoot}/${path}`);
  }

  private inside(parts: string[], where: RecordWhere, display: string): string {
    try {
      // Each part on its own first, so the error names what is wrong with it (absolute, empty, ...), not with the join.
      for (const part of parts) validateLogPath(part);
      return resolveInside(this.destRoot, parts.join('/'));
    } catch (error) {
      rethrowWithWhere(error, where, display);
    }
  }

  /**
   * True when a symlink at `linkPath` with `target` would point inside the destination: relative targets are
   * resolved against the link's folder, absolute ones taken as they are. Purely lexical: the receiver never
   * creates a link that points outside, so a chain of its own links cannot leave the destination either.
   */
  symlinkTargetInside(linkPath: string, target: string): boolean {
    if (target.length === 0 || target.includes('\0')) return false;
    const resolved = isAbsolute(target) ? resolve(target) : resolve(dirname(linkPath), target);
    const rel = relative(this.destRoot, resolved);
    return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
  }
}
