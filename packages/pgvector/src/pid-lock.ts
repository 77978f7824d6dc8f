import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { WinnowError } from '@winnow/core';
import type { LockOptions, ReleaseLock } from './driver.js';
import { sleep } from './sleep.js';

const POLL_MS = 200;
/** A lock folder without an owner file this old was left by a crash between creating it and writing the owner. */
const ORPHAN_MS = 10_000;

interface Owner {
  pid: number;
  host: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(lockPath: string): Promise<Owner | undefined> {
  try {
    const [pid, host] = (await readFile(join(lockPath, 'owner'), 'utf8')).split('\n');
    return { pid: Number(pid), host: host ?? '' };
  } catch {
    return undefined;
  }
}

async function isAbandoned(lockPath: string): Promise<boolean> {
  const owner = await readOwner(lockPath);
  if (owner) return owner.host === hostname() && !alive(owner.pid);
  try {
    return Date.now() - (await stat(lockPath)).mtimeMs > ORPHAN_MS;
  } catch {
    return false;
  }
}

/**
 * A lock held for as long as the owning process lives: a folder created atomically, with the owner's pid and host
 * inside. A lock whose owner died (SIGKILL, power loss) is taken over at once. Unlike a lock kept alive by timers,
 * it cannot go stale while its holder is busy (a long synchronous WebAssembly start blocks timers for seconds).
 * For resources of one machine, such as an embedded database folder.
 */
export async function acquirePidLock(lockPath: string, name: string, options: LockOptions): Promise<ReleaseLock> {
  await mkdir(dirname(lockPath), { recursive: true });
  for (;;) {
    try {
      await mkdir(lockPath);
      await writeFile(join(lockPath, 'owner'), `${process.pid}\n${hostname()}\n`);
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await rm(lockPath, { recursive: true, force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new WinnowError('E_DB_CONNECT', `cannot create lock '${name}': ${(error as Error).message}`, {
          file: lockPath,
          cause: error,
        });
      }
    }
    if (await isAbandoned(lockPath)) {
      // Rename first: of several processes taking over, only one rename succeeds.
      const aside = `${lockPath}.abandoned.${process.pid}.${Date.now()}`;
      if (
        await rename(lockPath, aside).then(
          () => true,
          () => false,
        )
      )
        await rm(aside, { recursive: true, force: true });
      continue;
    }
    if (!options.wait) {
      const owner = await readOwner(lockPath);
      throw new WinnowError(
        'E_LOCKED',
        `lock '${name}' is held by ${owner ? `process ${owner.pid} on ${owner.host}` : 'another process'}`,
        {
          file: lockPath,
        },
      );
    }
    await sleep(POLL_MS, options.signal, `waiting for lock '${name}'`);
  }
}
