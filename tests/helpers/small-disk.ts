// A real small file system for full-disk tests: a tmpfs of a few MiB mounted on a temp directory (needs root, as CI
// and these machines run). Where mounting is not allowed the tests that need it say so in their name and do not
// run; every full-disk behaviour is also covered through the log's file-system seam, which always runs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function probeMount(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'synclog-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True when this process may mount a tmpfs (root with CAP_SYS_ADMIN). */
export const CAN_MOUNT_TMPFS = probeMount();

export interface SmallDisk {
  dir: string;
  unmount(): void;
}

/** Mounts a tmpfs of `bytes` on a fresh temp directory. */
export function mountSmallDisk(bytes: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'synclog-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' });
  return {
    dir,
    unmount() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
