// Fault model: the pusher (`synclog push --once`, a child process) is killed with SIGKILL at random moments of the
// push of a large client log (~12 MB, 400 files, then more each round), between its lacks, uploads, record pushes
// and cursor saves. What must survive: a resend after a cursor that was not saved adds nothing twice (the server's
// origin high-water mark), nothing is skipped, the client's order holds, and a push to the end makes the server's tree
// the client's folder. SYNCLOG_PUSH_PUSHER_KILLS rounds (default 3; stress/push-kill runs 30+).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogServer, TokenSet } from '../../src/net/index.js';
import { LogReceiver } from '../../src/receiver/index.js';
import { expectPushedExactlyOnce, GrowingTree } from '../helpers/push-tree.js';
import { runCli, spawnCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const ROUNDS = Number(process.env.SYNCLOG_PUSH_PUSHER_KILLS ?? 3);

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('pusher killed mid-push', () => {
  it(`${ROUNDS} kill -9 at random moments, then a full push: every client version is on the server exactly once, in order`, async () => {
    const base = await makeTmpDir('synclog-push-client-kill-');
    const tree = new GrowingTree(join(base, 'src'), join(base, 'client-log'));
    await tree.grow(400);
    const serverLog = join(base, 'server-log');
    const server = await LogServer.start({ logDir: serverLog, acceptPush: true, tokens: TokenSet.none() });
    closers.push(() => server.close());
    // Each round grows the client log, so there is always more to push; a kill that came after the push ended halves
    // the next delay (a fast machine pushes the first 12 MB in well under a second), until ROUNDS kills landed mid-push.
    let killedMidPush = 0;
    let delayMs = 200 + Math.random() * 1200;
    for (let attempt = 0; killedMidPush < ROUNDS; attempt++) {
      expect(attempt, `only ${killedMidPush} of ${ROUNDS} kills landed mid-push (last delay ${delayMs.toFixed(0)} ms)`).toBeLessThan(ROUNDS * 4);
      const child = spawnCli(['push', '--log', tree.logDir, '--to', server.url, '--once']);
      const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code))); // a push may end before the kill
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      child.kill('SIGKILL');
      if ((await closed) === null) {
        killedMidPush++;
        delayMs = 100 + Math.random() * 1200;
      } else delayMs /= 2;
      await tree.grow(30 + Math.floor(Math.random() * 30));
    }
    const last = await runCli(['push', '--log', tree.logDir, '--to', server.url, '--once'], { timeoutMs: 300_000 });
    expect(last.code, last.stderr).toBe(0);
    const out = join(base, 'out');
    await new LogReceiver({ logPath: serverLog, outputPath: out }).catchUp();
    await expectPushedExactlyOnce(tree.logDir, serverLog, { out: join(out, 'src'), sourceDir: tree.sourceDir });
  }, 120_000 + ROUNDS * 30_000);
});
