// A child process for the log's process-level fault tests (tests/fault/log-*.test.ts, stress/log-crash.ts). Runs
// against the built library (dist/), so `npm run build` must have run. Modes:
//   append-loop DIR [SEGBYTES [JOURNAL [no-datasync]]]
//                              appends forever (plain batches and atomic groups); prints
//                              "D <from> <to> <segment> <offset of to>" once seqs from..to (inclusive) are durable. The parent SIGKILLs it at a random moment.
//                              SEGBYTES 0 is the default size. With JOURNAL, the log's durability operations go through
//                              the fault-injecting file system (fault-fs.mjs), which journals what was synced there so a
//                              power cut can drop the rest; `no-datasync` makes it a writer that never fdatasyncs a segment.
//   hold DIR                   opens DIR as the writer, prints "locked <pid>", waits to be killed; prints
//                              "refused <holderPid>" and exits 3 if the lock is held.
//   efbig DIR                  appends until an append fails (run under `ulimit -f`); prints "D a b" acks, then
//                              "error <code> <errno>".
//   slow-group DIR COUNT BYTES appends an atomic group of COUNT records of BYTES each, stalling before the last
//                              until stdin says "go" (completes) or "fail" (the group's source throws); then
//                              appends one more record and prints "done <nextSeq>".
//   append DIR COUNT           appends COUNT records one by one with short pauses; prints "done <nextSeq>".
import { createInterface } from 'node:readline';

/**
 * The payload of seq: 8..9007 bytes (about half at or above the writer's 4 KiB by-reference threshold, so both ways a
 * commit lays out its frames are killed mid-write), every byte a function of seq and position, so damage is detectable.
 */
export function crashPayload(seq) {
  const length = 8 + ((seq * 7919) % 9000);
  const bytes = new Uint8Array(length);
  new DataView(bytes.buffer).setUint32(0, seq >>> 0, true);
  new DataView(bytes.buffer).setUint32(4, Math.floor(seq / 2 ** 32), true);
  for (let i = 8; i < length; i++) bytes[i] = (seq * 31 + i * 17) & 0xff;
  return bytes;
}

export function crashTag(seq) {
  return 1 + (seq % 4);
}

/** A slow disk under the crash harness: a random kill then often lands between a commit's write and its fdatasync. */
const SLOW_DISK_SYNC_MS = 2;

function say(line) {
  process.stdout.write(line + '\n');
}

async function appendLoop(Log, dir, segmentBytesMax, fileSystem) {
  const log = await Log.open(dir, { ...(segmentBytesMax ? { segmentBytesMax } : {}), ...(fileSystem ? { fileSystem } : {}) });
  say(`ready ${log.nextSeq}`);
  let op = 0;
  const inFlight = new Set();
  for (;;) {
    const seq = log.nextSeq;
    let promise;
    if (op % 7 === 3) {
      const group = [0, 1, 2].map((k) => ({ tag: crashTag(seq + k), payload: crashPayload(seq + k) }));
      promise = log.appendAtomic(group);
    } else {
      const count = 1 + (op % 3);
      promise = log.appendMany(Array.from({ length: count }, (_, k) => ({ tag: crashTag(seq + k), payload: crashPayload(seq + k) })));
    }
    op++;
    const tracked = promise.then((positions) => {
      const last = positions[positions.length - 1];
      say(`D ${positions[0].seq} ${last.seq} ${last.segment} ${last.offset}`);
      inFlight.delete(tracked);
    });
    inFlight.add(tracked);
    if (inFlight.size >= 32) await Promise.race(inFlight);
  }
}

async function hold(Log, dir) {
  try {
    await Log.open(dir);
  } catch (error) {
    say(`refused ${error.details?.holderPid ?? '?'} ${error.code}`);
    process.exit(3);
  }
  say(`locked ${process.pid}`);
  setInterval(() => {}, 1 << 30);
}

async function efbig(Log, dir) {
  const log = await Log.open(dir, { segmentBytesMax: 1 << 30 });
  say(`ready ${log.nextSeq}`);
  for (;;) {
    const seq = log.nextSeq;
    const batch = Array.from({ length: 4 }, (_, k) => ({ tag: crashTag(seq + k), payload: crashPayload(seq + k) }));
    try {
      const positions = await log.appendMany(batch);
      say(`D ${positions[0].seq} ${positions[positions.length - 1].seq}`);
    } catch (error) {
      say(`error ${error.code} ${error.details?.errno}`);
      const again = await log.append(batch[0]).then(() => 'accepted', (e) => e.code);
      say(`after ${again}`);
      process.exit(0);
    }
  }
}

async function slowGroup(Log, dir, count, bytes) {
  const log = await Log.open(dir);
  const lines = createInterface({ input: process.stdin });
  const commands = lines[Symbol.asyncIterator]();
  async function* source() {
    for (let i = 0; i < count - 1; i++) yield { tag: 7, payload: new Uint8Array(bytes).fill(i & 0xff) };
    say('stalled');
    const { value } = await commands.next();
    if (value === 'fail') throw new Error('group source failed');
    yield { tag: 7, payload: new Uint8Array(bytes).fill(0xee) };
  }
  await log.appendAtomic(source()).then(
    () => say('group ok'),
    () => say('group failed'),
  );
  await log.append({ tag: 1, payload: new TextEncoder().encode('after') });
  say(`done ${log.nextSeq}`);
  await log.close();
  lines.close();
}

async function appendSome(Log, dir, count) {
  const log = await Log.open(dir);
  for (let i = 0; i < count; i++) {
    const seq = log.nextSeq;
    if (i % 5 === 4) {
      await log.appendAtomic([0, 1].map((k) => ({ tag: crashTag(seq + k), payload: crashPayload(seq + k) })));
      i++;
    } else await log.append({ tag: crashTag(seq), payload: crashPayload(seq) });
    await new Promise((r) => setTimeout(r, 3));
  }
  say(`done ${log.nextSeq}`);
  await log.close();
}

async function main() {
  const [mode, dir, a, b, c] = process.argv.slice(2);
  const { Log, REAL_LOG_FILE_SYSTEM } = await import(new URL('../../dist/log/index.js', import.meta.url).href);
  if (mode === 'append-loop') {
    const { createFaultFileSystem } = await import('./fault-fs.mjs');
    const fileSystem = b ? createFaultFileSystem(REAL_LOG_FILE_SYSTEM, b, { skipDatasync: c === 'no-datasync', datasyncDelayMs: SLOW_DISK_SYNC_MS }) : undefined;
    return appendLoop(Log, dir, a ? Number(a) : undefined, fileSystem);
  }
  if (mode === 'hold') return hold(Log, dir);
  if (mode === 'efbig') return efbig(Log, dir);
  if (mode === 'slow-group') return slowGroup(Log, dir, Number(a), Number(b));
  if (mode === 'append') return appendSome(Log, dir, Number(a));
  throw new Error(`unknown mode ${mode}`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((error) => {
    process.stderr.write(`child failed: ${error?.stack ?? error}\n`);
    process.exit(1);
  });
}
