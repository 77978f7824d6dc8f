import { WinnowError } from '@winnow/core';
import lockfile from 'proper-lockfile';
import type { LockOptions, ReleaseLock } from './driver.js';
import { sleep } from './sleep.js';

/** A lock not refreshed for this long belongs to a dead process and is taken over. */
const STALE_MS = 10_000;
const POLL_MS = 200;

/**
 * Takes a lock file (a directory, created atomically with mkdir) at `lockPath`. The holder refreshes its
 * mtime every few seconds; one left behind by a crashed process goes stale and is taken over, so a crash
 * never blocks the next run for more than STALE_MS.
 */
export async function acquireFileLock(lockPath: string, name: string, options: LockOptions): Promise<ReleaseLock> {
  for (;;) {
    try {
      const release = await lockfile.lock(lockPath, {
        realpath: false,
        lockfilePath: lockPath,
        stale: STALE_MS,
        retries: 0,
        // The default throws from a timer (ending the process) when the lock was taken over; the holder's
        // work is already under way, so the loss is left for the next acquirer's staleness check.
        onCompromised: () => undefined,
      });
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await release().catch(() => undefined);
      };
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ELOCKED') {
        throw new WinnowError('E_LOCKED', `cannot create lock '${name}': ${(error as Error).message}`, {
          file: lockPath,
          cause: error,
        });
      }
      if (!options.wait) {
        throw new WinnowError('E_LOCKED', `lock '${name}' is held by another process`, {
          file: lockPath,
          hint: `a lock left by a crashed process is taken over after ${STALE_MS / 1000}s`,
        });
      }
      await sleep(POLL_MS, options.signal, `waiting for lock '${name}'`);
    }
  }
}

/** In-process locks for databases that live in memory (no folder to put a lock file next to). */
const memoryLocks = new Set<string>();

export async function acquireMemoryLock(key: string, name: string, options: LockOptions): Promise<ReleaseLock> {
  while (memoryLocks.has(key)) {
    if (!options.wait) throw new WinnowError('E_LOCKED', `lock '${name}' is held`, { field: 'lock name' });
    await sleep(POLL_MS, options.signal, `waiting for lock '${name}'`);
  }
  memoryLocks.add(key);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    memoryLocks.delete(key);
  };
}
