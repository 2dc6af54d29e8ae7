// kill -9 of the pusher (`synclog push --once`) at random moments of a large push, three times, then a push to the
// end: the server's log holds every version of the client's log exactly once (a resend after a lost cursor adds
// nothing twice).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogServer, TokenSet } from '../../src/net/index.js';
import { openStore } from '../../src/store/index.js';
import type { EntryRecord } from '../../src/record/index.js';
import { builtLog } from '../helpers/net-fixture.js';
import { runCli, spawnCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function versionIds(logDir: string): Promise<string[]> {
  const store = await openStore(logDir, { readOnly: true, workers: 0 });
  const ids: string[] = [];
  for await (const { record } of store.entries({ kinds: ['version', 'delete'] })) ids.push((record as EntryRecord).versionId);
  await store.close();
  return ids;
}

describe('pusher killed mid-push', () => {
  it('three kill -9 at random moments, then a full push: every client version is on the server exactly once', async () => {
    const { logDir } = await builtLog(300);
    const serverLog = join(await makeTmpDir(), 'server-log');
    const server = await LogServer.start({ logDir: serverLog, acceptPush: true, tokens: TokenSet.none() });
    closers.push(() => server.close());
    for (let round = 0; round < 3; round++) {
      const child = spawnCli(['push', '--log', logDir, '--to', server.url, '--once']);
      const closed = new Promise((resolve) => child.on('close', resolve)); // before the kill: a push may end first
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 800));
      child.kill('SIGKILL');
      await closed;
    }
    const last = await runCli(['push', '--log', logDir, '--to', server.url, '--once']);
    expect(last.code, last.stderr).toBe(0);
    const client = await versionIds(logDir);
    const held = await versionIds(serverLog);
    expect(held).toEqual(client);
    expect(new Set(held).size).toBe(held.length);
  }, 180_000);
});
