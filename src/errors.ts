// The one place synclog's error codes are defined (STYLE.md 2.4).
// Operating errors (bad input, OS failures, damage on disk) are SynclogError subclasses with a stable `code` and
// structured `details`; programmer errors are AssertionError (src/util/assert.ts) and are never caught below the CLI.
// Only src/cli/output.ts maps codes to exit codes and text.

export const ERROR_CODES = {
  corrupt: 'SYNCLOG_CORRUPT',
  format: 'SYNCLOG_FORMAT',
  locked: 'SYNCLOG_LOCKED',
  unsafePath: 'SYNCLOG_UNSAFE_PATH',
  limit: 'SYNCLOG_LIMIT',
  notFound: 'SYNCLOG_NOT_FOUND',
  net: 'SYNCLOG_NET',
  auth: 'SYNCLOG_AUTH',
  usage: 'SYNCLOG_USAGE',
  io: 'SYNCLOG_IO',
  archive: 'SYNCLOG_ARCHIVE',
  watch: 'SYNCLOG_WATCH',
  closed: 'SYNCLOG_CLOSED',
  changed: 'SYNCLOG_CHANGED',
  diskFull: 'SYNCLOG_DISK_FULL',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export abstract class SynclogError extends Error {
  abstract readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  /** The public operation that let this error through (isomorphic-git's `caller`), stamped by entry points. */
  operation?: string;

  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.details = Object.freeze({ ...details });
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, details: this.details, operation: this.operation };
  }
}

/** Damage in the middle of a log (or a chunk whose bytes do not match its id): stop and name it. */
export class CorruptionError extends SynclogError {
  readonly code = ERROR_CODES.corrupt;
  constructor(
    message: string,
    readonly where: { file: string; offset?: number; seq?: number; reason: string; [k: string]: unknown },
    options?: { cause?: unknown },
  ) {
    super(message, where, options);
  }
}

export class FormatVersionError extends SynclogError {
  readonly code = ERROR_CODES.format;
  constructor(message: string, details: { file: string; found: unknown; supported: unknown }) {
    super(message, details);
  }
}

export class LockedError extends SynclogError {
  readonly code = ERROR_CODES.locked;
  constructor(message: string, details: { lockPath: string; holderPid?: number; holderHost?: string }) {
    super(message, details);
  }
}

export type UnsafePathReason =
  | 'empty'
  | 'absolute'
  | 'dotdot'
  | 'nul'
  | 'backslash'
  | 'not-normalized'
  | 'too-long'
  | 'too-deep'
  | 'symlink-escape'
  | 'through-symlink'
  | 'reserved'
  | 'not-utf8'
  | 'not-a-string';

export class UnsafePathError extends SynclogError {
  readonly code = ERROR_CODES.unsafePath;
  constructor(message: string, details: { path: string; reason: UnsafePathReason; [k: string]: unknown }) {
    super(message, details);
  }
}

export class LimitError extends SynclogError {
  readonly code = ERROR_CODES.limit;
  constructor(message: string, details: { limit: string; value: number; max: number; [k: string]: unknown }) {
    super(message, details);
  }
}

export class NotFoundError extends SynclogError {
  readonly code = ERROR_CODES.notFound;
  constructor(message: string, details: { what: string; id?: string; [k: string]: unknown }) {
    super(message, details);
  }
}

export class NetError extends SynclogError {
  readonly code: ErrorCode = ERROR_CODES.net;
  constructor(message: string, details: { url: string; status?: number; [k: string]: unknown }, options?: { cause?: unknown }) {
    super(message, details, options);
  }
}

export class AuthError extends NetError {
  override readonly code = ERROR_CODES.auth;
}

/** Bad command-line arguments or API options: exit 2. */
export class UsageError extends SynclogError {
  readonly code = ERROR_CODES.usage;
}

/** An OS failure (ENOSPC, EACCES, EIO…) wrapped with the operation and path; the original stays in `cause`. */
export class IoError extends SynclogError {
  readonly code = ERROR_CODES.io;
  constructor(message: string, details: { op: string; path: string; errno?: string; [k: string]: unknown }, options?: { cause?: unknown }) {
    super(message, details, options);
  }
}

/** A malformed or hostile archive: refused before anything is written. */
export class ArchiveError extends SynclogError {
  readonly code = ERROR_CODES.archive;
  constructor(message: string, details: { archive: string; entry?: string; reason: string; [k: string]: unknown }, options?: { cause?: unknown }) {
    super(message, details, options);
  }
}

/** A watch root that cannot be watched (gone, out of inotify watches, out of file handles). */
export class WatchError extends SynclogError {
  readonly code = ERROR_CODES.watch;
  constructor(message: string, details: { root: string; reason: string; fix?: string; [k: string]: unknown }, options?: { cause?: unknown }) {
    super(message, details, options);
  }
}

/** An operation on something already closed or stopped. */
export class ClosedError extends SynclogError {
  readonly code = ERROR_CODES.closed;
}

/**
 * A file changed while the store was reading it (size, mtime, ctime or inode differ before and after): the content
 * read is not a consistent version. Nothing was recorded for it except chunks; the caller retries later.
 */
export class FileChangedError extends SynclogError {
  readonly code = ERROR_CODES.changed;
  constructor(message: string, details: { path: string; reason: string; [k: string]: unknown }) {
    super(message, details);
  }
}

/**
 * The log's file system has no room (ENOSPC, or EDQUOT: a quota). Nothing of the failed append was kept (the writer
 * cut the segment back to its durable end) and the writer stays usable: the caller keeps what it wanted to record
 * and tries again once space is freed. Raised only by the log's writer: an ENOSPC elsewhere (inotify's watch limit
 * says ENOSPC too) is not a full disk.
 */
export class DiskFullError extends SynclogError {
  readonly code = ERROR_CODES.diskFull;
  constructor(message: string, readonly info: DiskFullDetails, options?: { cause?: unknown }) {
    super(message, info, options);
  }
}

export interface DiskFullDetails {
  op: string;
  path: string;
  errno: string;
  fix: string;
  [k: string]: unknown;
}

/** The errno of a Node system error, or of the one a SynclogError wraps (its `cause`). */
export function errnoOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
    const errno = (e as { details?: { errno?: unknown } }).details?.errno;
    if (typeof errno === 'string') return errno;
  }
  return undefined;
}

/** Wraps a Node system error (has `code` like 'ENOSPC') as IoError; passes SynclogErrors through unchanged. */
export function wrapIoError(error: unknown, op: string, path: string): SynclogError {
  if (error instanceof SynclogError) return error;
  const errno = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
  const reason = error instanceof Error ? error.message : String(error);
  return new IoError(`${op} failed for ${path}: ${reason}`, { op, path, errno }, { cause: error });
}

export function isSynclogError(error: unknown): error is SynclogError {
  return error instanceof SynclogError;
}

/** An error as it crosses a thread boundary (worker_threads clone neither classes nor their own fields). */
export interface SerializedError {
  name: string;
  message: string;
  details?: Record<string, unknown>;
  stack?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof SynclogError) return { name: error.name, message: error.message, details: { ...error.details } };
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

type SynclogErrorClass = new (message: string, details: never) => SynclogError;
const REVIVABLE: Record<string, SynclogErrorClass> = {
  CorruptionError,
  FormatVersionError,
  LockedError,
  UnsafePathError,
  LimitError,
  NotFoundError,
  NetError,
  AuthError,
  UsageError,
  IoError,
  ArchiveError,
  WatchError,
  ClosedError,
  FileChangedError,
};

/** The error `serializeError` described, as its own class again (an unknown kind becomes a plain Error: a bug). */
export function deserializeError(serialized: SerializedError): Error {
  const kind = REVIVABLE[serialized.name];
  if (kind) return new kind(serialized.message, (serialized.details ?? {}) as never);
  const error = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack) error.stack = serialized.stack;
  return error;
}
