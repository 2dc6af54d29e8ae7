// One rule for a follower that acts when it runs out of records (ship a batch, make the replica durable): the read
// is started first, and `onIdle` runs only if no record is ready within a turn of the event loop.
import type { LogEntry } from '../log/index.js';

/** The next record of `entries`; when following and none is ready at once, `onIdle` runs while the read waits. */
export async function nextOrIdle(entries: AsyncIterator<LogEntry>, follow: boolean | undefined, onIdle: () => Promise<void>): Promise<IteratorResult<LogEntry>> {
  const next = entries.next();
  if (!follow) return next;
  let ready = false;
  void next.then(() => (ready = true), () => (ready = true));
  await new Promise((resolve) => setImmediate(resolve));
  if (!ready) await onIdle();
  return next;
}
