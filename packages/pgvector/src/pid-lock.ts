import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { WinnowError } from '@winnow/core';
import type { LockOptions, ReleaseLock } from './driver.js';
import { sleep } from './sleep.js';

const POLL_MS = 200;
/** A lock folder without an owner file this old was left by a crash between creating it and writing the owner. */
const ORPHAN_MS = 10_000;
/** How long a lock from another host lives without a heartbeat before it is taken over. */
export const DEFAULT_LOCK_LEASE_MS = 120_000;

export interface PidLockOptions extends LockOptions {
  /** A lock of another host whose heartbeat is older than this is taken over (default 2 minutes). */
  leaseMs?: number;
}

/** Who holds a lock: written as `pid`, `host`, start time and heartbeat time (ms since the epoch), one a line. */
export interface LockOwner {
  pid: number;
  host: string;
  startedAt: number;
  heartbeatAt: number;
}

/** A held lock; `guard` adds an owner file elsewhere (kept fresh and removed with the lock). */
export type PidLock = ReleaseLock & {
  readonly owner: LockOwner;
  guard(path: string): Promise<void>;
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads an owner file (a lock folder's `owner`, or a guard file); undefined when missing or unreadable. */
export async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const [pid, host, startedAt, heartbeatAt] = (await readFile(file, 'utf8')).split('\n');
    const owner = {
      pid: Number(pid),
      host: host ?? '',
      startedAt: Number(startedAt ?? 0) || 0,
      heartbeatAt: Number(heartbeatAt ?? 0) || 0,
    };
    if (!Number.isInteger(owner.pid) || owner.pid <= 0) return undefined;
    // An owner file from before heartbeats (two lines): its own mtime stands in for the heartbeat.
    if (owner.heartbeatAt === 0) owner.heartbeatAt = (await stat(file)).mtimeMs;
    return owner;
  } catch {
    return undefined;
  }
}

/** Writes an owner file whole (temp file, then rename) so a reader never sees half of it. */
async function writeOwner(file: string, owner: LockOwner): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${owner.pid}\n${owner.host}\n${owner.startedAt}\n${owner.heartbeatAt}\n`);
  await rename(temp, file);
}

function sameOwner(a: LockOwner | undefined, b: LockOwner): boolean {
  return a !== undefined && a.pid === b.pid && a.host === b.host && a.startedAt === b.startedAt;
}

/**
 * Whether an owner has let go: on this host, when its pid is dead (at once); on another host, whose pids we cannot
 * see, when its heartbeat is older than the lease.
 */
export function isDead(owner: LockOwner, leaseMs: number): boolean {
  if (owner.host === hostname()) return !alive(owner.pid);
  return Date.now() - owner.heartbeatAt > leaseMs;
}

/** "process 12 on host-a, heartbeat 3 s ago": for messages. */
export function describeOwner(owner: LockOwner): string {
  const age = Math.max(0, Math.round((Date.now() - owner.heartbeatAt) / 1000));
  return `process ${owner.pid} on ${owner.host}, heartbeat ${age} s ago`;
}

async function isAbandoned(lockPath: string, leaseMs: number): Promise<boolean> {
  const owner = await readOwner(join(lockPath, 'owner'));
  if (owner) return isDead(owner, leaseMs);
  try {
    return Date.now() - (await stat(lockPath)).mtimeMs > ORPHAN_MS;
  } catch {
    return false;
  }
}

/**
 * A lock held for as long as the owning process lives: a folder created atomically, with an owner file inside
 * (pid, host, start time, heartbeat). On this host a lock whose pid died (SIGKILL, power loss) is taken over at
 * once, whatever its heartbeat: a holder busy in a long synchronous WebAssembly call cannot lose it. A lock from
 * another host (a new container on the same volume) is taken over once its heartbeat is older than `leaseMs`; the
 * holder refreshes it every lease/4 and recreates the folder if someone deleted it. Limit: a holder on another host
 * whose event loop is blocked longer than the lease can be taken over while alive.
 */
export async function acquirePidLock(lockPath: string, name: string, options: PidLockOptions): Promise<PidLock> {
  const leaseMs = options.leaseMs ?? DEFAULT_LOCK_LEASE_MS;
  await mkdir(dirname(lockPath), { recursive: true });
  const ownerFile = join(lockPath, 'owner');
  for (;;) {
    const now = Date.now();
    const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: now, heartbeatAt: now };
    try {
      await mkdir(lockPath);
      await writeOwner(ownerFile, owner);
      return holdLock(lockPath, ownerFile, owner, leaseMs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new WinnowError('E_DB_CONNECT', `cannot create lock '${name}': ${(error as Error).message}`, {
          file: lockPath,
          cause: error,
        });
      }
    }
    if (await isAbandoned(lockPath, leaseMs)) {
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
      const holder = await readOwner(ownerFile);
      throw new WinnowError(
        'E_LOCKED',
        `lock '${name}' is held by ${holder ? describeOwner(holder) : 'another process'}; if that process is gone, remove ${lockPath}`,
        { file: lockPath },
      );
    }
    await sleep(POLL_MS, options.signal, `waiting for lock '${name}'`);
  }
}

function holdLock(lockPath: string, ownerFile: string, owner: LockOwner, leaseMs: number): PidLock {
  const guards: string[] = [];
  let released = false;
  const beat = async (): Promise<void> => {
    owner.heartbeatAt = Date.now();
    // The holder puts back a deleted lock folder, unless someone else has taken the name meanwhile.
    await mkdir(lockPath).catch(() => undefined);
    const current = await readOwner(ownerFile);
    if (current === undefined || sameOwner(current, owner)) await writeOwner(ownerFile, owner);
    for (const guard of guards) if (sameOwner(await readOwner(guard), owner)) await writeOwner(guard, owner);
  };
  const timer = setInterval(
    () => {
      beat().catch(() => undefined);
    },
    Math.max(10, Math.floor(leaseMs / 4)),
  );
  timer.unref();
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    clearInterval(timer);
    for (const guard of guards) if (sameOwner(await readOwner(guard), owner)) await rm(guard, { force: true });
    // Only our own folder: a second opener's takeover must not be undone by a late release.
    if (sameOwner(await readOwner(ownerFile), owner)) await rm(lockPath, { recursive: true, force: true });
  };
  return Object.assign(release, {
    owner,
    async guard(path: string) {
      await writeOwner(path, owner);
      guards.push(path);
    },
  });
}
