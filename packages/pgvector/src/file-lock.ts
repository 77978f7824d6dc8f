import { WinnowError } from '@winnow/core';
import type { LockOptions, ReleaseLock } from './driver.js';
import { sleep } from './sleep.js';

/** In-process locks for databases that live in memory (no folder to put a lock file next to). */
const POLL_MS = 200;
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
