// A fault-injecting LogFileSystem and the power cut it makes possible (LevelDB's FaultInjectionTestEnv).
// Plain JS because tests/fault/log-child.mjs runs it without a TypeScript loader; tests and stress import it too.
//
// Fault model. `createFaultFileSystem` does every operation for real and then appends to a side journal what the
// operation made durable: "file F holds L bytes on disk" (after its fdatasync, or an atomic write's fsync), "file F
// holds exactly these bytes" (the durable watermark, overwritten in place: fdatasync by descriptor), "F was cut to
// L", and "the directory holds exactly these names" (after a directory fsync; the listing is read before the fsync
// starts, so every name in it is durable once the fsync returns). The entry is written after the real call returned
// and before the writer sees it return, so whatever the writer reported durable is in the journal. A SIGKILL
// cannot lose it: a write(2) that returned is in the kernel and survives the process. (It is not fsynced: a real
// machine crash would lose the whole test anyway.) A kill between the real call and its entry only makes the
// journal pessimistic: a state as if the power had gone a moment earlier, before anything relied on that call.
//
// `cutPower` then rebuilds what a disk might hold after the power went at the moment of the kill: a name that no
// directory fsync covered is removed (a new segment whose directory entry was not synced); a file is cut back to
// its synced length, keeping a random part of its unsynced tail, sometimes turned to zeros (size updated, data
// never written), sometimes followed by zeros (extended but never written); a file synced by content gets that
// content back or keeps its newer one. What stays after the cut is on disk, so the journal is rewritten to say so.
// Not modelled: an unsynced rename over an existing name brings the old file back (the log only renames over
// derived files); an unsynced unlink brings the file back (the log unlinks only temps and locks); pages of an
// unsynced tail written back out of order (a hole followed by later data).
import { appendFileSync, closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** Lock files (lock.ts) are written and fsynced under a temp name before they are linked: their bytes are whole. */
const FSYNCED_BEFORE_NAMED = /^LOCK(\.|$)/;

/** The watermark is 16 bytes; anything synced by descriptor larger than this is not tracked by content. */
const CONTENT_BYTES_MAX = 4096;

/** Extra zeros a cut may append: a file extended (size made durable) whose new bytes never reached the disk. */
const TRAILING_ZEROS_MAX = 8192;

/** An append-only journal of durable facts, one JSON object a line. */
class SyncJournal {
  /** @param {string} path */
  constructor(path) {
    this.fd = openSync(path, 'a');
  }

  /** @param {Record<string, unknown>} entry */
  note(entry) {
    writeSync(this.fd, JSON.stringify(entry) + '\n');
  }

  close() {
    closeSync(this.fd);
  }
}

/**
 * A LogFileSystem that does what `real` does and journals, in `journalPath`, what each call made durable (see the
 * fault model above). With `skipDatasync` it never calls fdatasync on a segment (and journals nothing for it): a
 * writer that never syncs, which a power cut must catch. `datasyncDelayMs` makes every fdatasync that much slower (a
 * slow disk): a kill at a random moment then more often finds written bytes not yet synced.
 * @param {import('../../src/log/log-fs.js').LogFileSystem} real
 * @param {string} journalPath
 * @param {{ skipDatasync?: boolean; datasyncDelayMs?: number }} [options]
 * @returns {import('../../src/log/log-fs.js').LogFileSystem & { close(): void }}
 */
export function createFaultFileSystem(real, journalPath, options = {}) {
  const journal = new SyncJournal(journalPath);
  const fs = {
    async writeFileAtomic(path, bytes, writeOptions) {
      await real.writeFileAtomic(path, bytes, { ...writeOptions, skipDirSync: true });
      journal.note({ op: 'file', path: resolve(path), length: bytes.length });
      if (!writeOptions?.skipDirSync) await fs.syncDir(dirname(path));
    },
    async datasync(handle, path) {
      if (options.skipDatasync) return;
      // The size before the sync starts: every byte of it is on disk once the sync returns.
      const { size } = await handle.stat();
      if (options.datasyncDelayMs) await new Promise((resolve) => setTimeout(resolve, options.datasyncDelayMs));
      await real.datasync(handle, path);
      journal.note({ op: 'sync', path: resolve(path), length: size });
    },
    async datasyncFd(fd, path) {
      const size = Math.min(fstatSync(fd).size, CONTENT_BYTES_MAX);
      const content = Buffer.alloc(size);
      const got = readSync(fd, content, 0, size, 0);
      await real.datasyncFd(fd, path);
      journal.note({ op: 'content', path: resolve(path), hex: content.subarray(0, got).toString('hex') });
    },
    async truncate(handle, path, length) {
      await real.truncate(handle, path, length);
      journal.note({ op: 'truncate', path: resolve(path), length });
    },
    async syncDir(dir) {
      const names = await readdir(dir);
      await real.syncDir(dir);
      journal.note({ op: 'dir', path: resolve(dir), names });
    },
    close() {
      journal.close();
    },
  };
  return fs;
}

/**
 * What the journal says is durable: synced length per file, synced content per file synced by descriptor, and per
 * directory the names its last fsync covered. A torn last line (cannot happen with one write(2), but cheap to allow)
 * is ignored.
 * @param {string} journalPath
 */
export function readSyncJournal(journalPath) {
  /** @type {Map<string, number>} */
  const synced = new Map();
  /** @type {Map<string, Buffer>} */
  const contents = new Map();
  /** @type {Map<string, Set<string>>} */
  const names = new Map();
  const text = existsSync(journalPath) ? readFileSync(journalPath, 'utf8') : '';
  for (const line of text.split('\n')) {
    if (!line) continue;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry.op === 'file' || entry.op === 'sync') synced.set(entry.path, entry.length);
    else if (entry.op === 'truncate') synced.set(entry.path, Math.min(synced.get(entry.path) ?? 0, entry.length));
    else if (entry.op === 'content') contents.set(entry.path, Buffer.from(entry.hex, 'hex'));
    else if (entry.op === 'dir') names.set(entry.path, new Set(entry.names));
  }
  return { synced, contents, names };
}

/**
 * Simulates a power cut in `dir` (flat: a log directory) after its writer was killed, from what `journalPath` says
 * was durable. `random` (default Math.random) decides how much of each unsynced tail a disk kept: a function
 * returning 0 keeps nothing unsynced. Returns what it did.
 * @param {string} journalPath
 * @param {string} dir
 * @param {{ random?: () => number }} [options]
 * @returns {{ removed: string[]; bytesDropped: number; filesCut: number; contentsRestored: number }}
 */
export function cutPower(journalPath, dir, options = {}) {
  const random = options.random ?? Math.random;
  const durable = readSyncJournal(journalPath);
  const root = resolve(dir);
  const durableNames = durable.names.get(root) ?? new Set();
  const report = { removed: [], bytesDropped: 0, filesCut: 0, contentsRestored: 0 };
  // Killed before the writer created the directory: nothing to lose.
  if (!existsSync(root)) return report;
  for (const name of readdirSync(root).sort()) {
    const path = join(root, name);
    if (!durableNames.has(name)) {
      rmSync(path, { force: true, recursive: true });
      report.removed.push(name);
      continue;
    }
    const content = durable.contents.get(path);
    if (content) {
      // Either the synced bytes or the newer ones written in place since (both are on the disk at some time).
      if (random() < 0.5) {
        writeFileSync(path, content);
        report.contentsRestored++;
      }
      continue;
    }
    if (FSYNCED_BEFORE_NAMED.test(name)) continue;
    cutTail(path, durable.synced.get(path) ?? 0, random, report);
  }
  recordAsDurable(journalPath, root);
  return report;
}

/**
 * Cuts `path` back to `syncedLength`, keeping a random part of the unsynced tail (none a third of the time, all of
 * it a third), that part zeroed one time in four, and zeros appended half the time.
 * @param {string} path
 * @param {number} syncedLength
 * @param {() => number} random
 * @param {{ bytesDropped: number; filesCut: number }} report
 */
function cutTail(path, syncedLength, random, report) {
  const size = statSync(path).size;
  if (size <= syncedLength) return;
  const unsynced = size - syncedLength;
  const pick = random();
  const kept = pick < 1 / 3 ? 0 : pick < 2 / 3 ? Math.floor(random() * unsynced) : unsynced;
  truncateSync(path, syncedLength + kept);
  report.bytesDropped += unsynced - kept;
  report.filesCut++;
  if (kept > 0 && random() < 0.25) {
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, Buffer.alloc(kept), 0, kept, syncedLength);
    } finally {
      closeSync(fd);
    }
  }
  if (random() < 0.5) appendFileSync(path, Buffer.alloc(Math.floor(random() * TRAILING_ZEROS_MAX)));
}

/**
 * After the cut, what is on disk is durable: the journal is rewritten (same file, so a journal still open for
 * appending carries on in it) as the directory's names and each file's length or content, plus what it said about
 * anything outside the directory. This also keeps a long stress run's journal short.
 * @param {string} journalPath
 * @param {string} root
 */
function recordAsDurable(journalPath, root) {
  const before = readSyncJournal(journalPath);
  const inRoot = (path) => dirname(path) === root;
  const lines = [];
  for (const [path, names] of before.names) if (path !== root) lines.push({ op: 'dir', path, names: [...names] });
  for (const [path, length] of before.synced) if (!inRoot(path)) lines.push({ op: 'sync', path, length });
  for (const [path, content] of before.contents) if (!inRoot(path)) lines.push({ op: 'content', path, hex: content.toString('hex') });
  const names = readdirSync(root);
  lines.push({ op: 'dir', path: root, names });
  for (const name of names) {
    const path = join(root, name);
    if (before.contents.has(path)) lines.push({ op: 'content', path, hex: readFileSync(path).toString('hex') });
    else lines.push({ op: 'sync', path, length: statSync(path).size });
  }
  writeFileSync(journalPath, lines.map((line) => JSON.stringify(line) + '\n').join(''));
}
