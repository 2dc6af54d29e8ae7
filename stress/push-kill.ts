// `npm run stress -- --only push-kill` (or `tsx stress/push-kill.ts [--pusher-kills N] [--server-kills N]`): the push
// fault tests with 30 kills each instead of the suite's 3: the pusher killed with SIGKILL mid-push and started again
// (tests/fault/push-client-kill), and the push server killed mid-push and restarted while the client's folder keeps
// changing (tests/fault/push-server-kill). Each ends with the server's log holding every client version exactly once,
// in order, and its tree equal to the folder. A bare COUNT (what stress/run.ts passes) sets both.
import { runFaultTestsWith } from './lib/fault-test.js';

const args = process.argv.slice(2);
const bare = args.find((arg, i) => /^\d+$/.test(arg) && !args[i - 1]?.startsWith('--'));
function count(flag: string): string {
  const at = args.indexOf(flag);
  const value = at >= 0 ? args[at + 1] : (bare ?? '30');
  if (!value || !/^\d+$/.test(value)) throw new Error(`${flag} takes a whole number`);
  return value;
}
const pusherKills = count('--pusher-kills');
const serverKills = count('--server-kills');
process.stdout.write(`push-kill: ${pusherKills} pusher kills, ${serverKills} server kills\n`);
const status = runFaultTestsWith(['tests/fault/push-client-kill.test.ts', 'tests/fault/push-server-kill.test.ts'], {
  SYNCLOG_PUSH_PUSHER_KILLS: pusherKills,
  SYNCLOG_PUSH_SERVER_KILLS: serverKills,
});
process.exitCode = status;
