// The synclog CLI run past the inotify watch limit without touching the machine's: in a user namespace of its own
// (unshare -U -r), whose limit (/proc/sys/user/max_inotify_watches) is lowered there first.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CLI } from './run-cli.js';

const lowerLimit = (limit: number) => `echo ${limit} > /proc/sys/user/max_inotify_watches`;

/** Whether this machine lets a test make such a namespace and lower its limit. */
export function canLowerInotifyLimit(limit: number): boolean {
  return spawnSync('unshare', ['-U', '-r', 'sh', '-c', lowerLimit(limit)], { stdio: 'ignore' }).status === 0;
}

/** `synclog ARGS` in a namespace whose inotify limit is `limit` (stdout and stderr piped, no progress bars). */
export function spawnCliWithInotifyLimit(limit: number, args: readonly string[]): ChildProcess {
  return spawn('unshare', ['-U', '-r', 'sh', '-c', `${lowerLimit(limit)} && exec "$0" "$@"`, process.execPath, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SYNCLOG_NO_PROGRESS: '1' },
  });
}
