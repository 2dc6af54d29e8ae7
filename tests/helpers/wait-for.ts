// Polls a condition until it holds (or fails the test after timeoutMs): for asynchronous effects like file-system
// events reaching a watcher. Not a timing assertion: only an upper bound on how long to keep looking.
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 20_000,
  everyMs = 50,
  /** What to show when it times out (the state the probe looked at), so a flake in CI can be read afterwards. */
  describe?: () => unknown,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) {
      // Awaited: a describe that reads files (the trees of sync nodes) returns a promise, which printed as {}.
      const state = describe ? `; state: ${JSON.stringify(await describe())}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
