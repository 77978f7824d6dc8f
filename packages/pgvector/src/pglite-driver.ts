import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { isWinnowError, throwIfAborted, WinnowError } from '@winnow/core';
import {
  assertLockName,
  type DbSubject,
  type QueryOptions,
  type SqlDriver,
  type SqlExecutor,
  toDbError,
} from './driver.js';
import { acquireMemoryLock } from './file-lock.js';
import {
  acquirePidLock,
  DEFAULT_LOCK_LEASE_MS,
  describeOwner,
  isDead,
  type LockOwner,
  type PidLock,
  readOwner,
} from './pid-lock.js';
import { sleep } from './sleep.js';
import { checkSettings } from './statement-batch.js';

export interface PgliteDriverOptions {
  /** The database folder (created when missing), or `memory://` for a throw-away in-memory database. */
  path?: string;
  /** An open PGlite created with the `vector` extension; the caller keeps it, so `close()` leaves it open. */
  db?: PGlite;
  /**
   * PGlite is a single-process database: a folder is opened by one process at a time, guarded by a lock file
   * beside it. When another process has it open, wait for it (true) or fail at once with E_LOCKED (default).
   */
  waitForLock?: boolean;
  /**
   * A lock (open or named) whose owner runs on another host is taken over once its heartbeat, refreshed by the
   * holder every lease/4, is older than this. Default 2 minutes. Owners on this host are judged by their pid.
   */
  lockLeaseMs?: number;
  signal?: AbortSignal;
}

export const DEFAULT_PGLITE_PATH = '.winnow/db';
const MEMORY = 'memory://';
/** The open lock's second owner file, inside the database folder: it survives deletion of the lock folder. */
export const OPEN_GUARD_FILE = 'winnow-open.owner';
const POLL_MS = 200;

/** A driver over embedded PGlite (Postgres compiled to WebAssembly), persisted in a folder. */
export async function createPgliteDriver(options: PgliteDriverOptions = {}): Promise<SqlDriver> {
  const inMemory = options.db !== undefined || options.path === MEMORY;
  const folder = inMemory ? undefined : resolve(options.path ?? DEFAULT_PGLITE_PATH);
  const location = folder ?? MEMORY;
  const subject: DbSubject = { file: location };
  let db: PGlite;
  let releaseOpenLock: PidLock | undefined;
  if (options.db !== undefined) {
    db = options.db;
  } else {
    if (folder !== undefined) releaseOpenLock = await lockFolder(folder, options);
    try {
      if (folder !== undefined) await mkdir(folder, { recursive: true });
      db = await PGlite.create(folder ?? MEMORY, { extensions: { vector } });
      // Written only now: initdb refuses a non-empty folder, so a new database gets its guard after creation.
      if (folder !== undefined) await releaseOpenLock?.guard(join(folder, OPEN_GUARD_FILE));
    } catch (error) {
      await releaseOpenLock?.();
      throw new WinnowError('E_DB_CONNECT', `cannot open the PGlite database: ${(error as Error).message}`, {
        ...subject,
        cause: error,
      });
    }
  }
  const ownsDb = options.db === undefined;
  const memoryKey = `pglite:${Math.random().toString(36).slice(2)}`;

  function executor(target: PGlite | Transaction): SqlExecutor {
    return {
      async query<R extends object>(text: string, params?: readonly unknown[], queryOptions?: QueryOptions) {
        throwIfAborted(queryOptions?.signal, 'a statement');
        const run = async (on: PGlite | Transaction) => {
          const result = await on.query<R>(text, params === undefined ? undefined : [...params]);
          return { rows: result.rows, rowCount: result.rows.length || (result.affectedRows ?? 0) };
        };
        const settings = queryOptions?.settings ?? [];
        try {
          if (settings.length === 0) return await run(target);
          checkSettings(settings);
          // In-process, so round trips cost nothing: set_config(…, true) in a transaction scopes the settings.
          const scoped = async (tx: PGlite | Transaction) => {
            for (const [name, value] of settings) await tx.query('select set_config($1, $2, true)', [name, value]);
            return run(tx);
          };
          return 'transaction' in target ? await target.transaction(scoped) : await scoped(target);
        } catch (error) {
          throw toDbError(error, `a statement on ${location}`, subject);
        }
      },
      // PGlite reads COPY data from a Blob mounted at /dev/blob.
      async copyFrom(copyTarget, data) {
        const pieces: Uint8Array[] = [];
        for await (const piece of data) pieces.push(piece);
        try {
          const result = await target.query(`copy ${copyTarget} from '/dev/blob' with (format binary)`, [], {
            blob: new Blob(pieces),
          });
          return result.affectedRows ?? 0;
        } catch (error) {
          throw toDbError(error, `COPY into ${location}`, subject);
        }
      },
    };
  }

  const autocommit = executor(db);
  return {
    kind: 'pglite',
    location,
    query: autocommit.query,
    copyFrom: autocommit.copyFrom,
    async transaction(fn) {
      try {
        return await db.transaction((tx) => fn(executor(tx)));
      } catch (error) {
        throw toDbError(error, `a transaction on ${location}`, subject);
      }
    },
    async lock(name, lockOptions) {
      assertLockName(name);
      // The lock file sits beside the database folder (not inside it, which PGlite owns).
      const release =
        folder === undefined
          ? await acquireMemoryLock(`${memoryKey}:${name}`, name, lockOptions)
          : await acquirePidLock(`${folder}.${name}.lock`, name, {
              ...lockOptions,
              ...(options.lockLeaseMs === undefined ? {} : { leaseMs: options.lockLeaseMs }),
            });
      // Nothing to verify: the lock lives as long as this process, which alone has the folder open.
      return Object.assign(release, { verify: async () => undefined });
    },
    async close() {
      if (ownsDb && !db.closed) await db.close();
      await releaseOpenLock?.();
    },
  };
}

/**
 * Takes the folder's single-process lock (two processes writing one PGlite folder corrupt it): the lock folder
 * beside it, then the guard file inside it, which the holder writes once open. Deleting the lock folder from
 * outside does not let a second process in: the guard still names a live owner (and the holder puts the folder
 * back on its next heartbeat).
 */
async function lockFolder(folder: string, options: PgliteDriverOptions): Promise<PidLock> {
  const lockPath = `${folder}.open.lock`;
  const guardPath = join(folder, OPEN_GUARD_FILE);
  const leaseMs = options.lockLeaseMs ?? DEFAULT_LOCK_LEASE_MS;
  for (;;) {
    let lock: PidLock;
    try {
      lock = await acquirePidLock(lockPath, 'open', {
        wait: options.waitForLock ?? false,
        leaseMs,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (error) {
      if (!isWinnowError(error, 'E_LOCKED')) throw error;
      throw lockedError(folder, lockPath, guardPath, await readOwner(join(lockPath, 'owner')), error);
    }
    const holder = await readOwner(guardPath);
    if (holder === undefined || sameHolder(holder, lock.owner) || isDead(holder, leaseMs)) return lock;
    await lock();
    if (!(options.waitForLock ?? false)) throw lockedError(folder, lockPath, guardPath, holder);
    await sleep(POLL_MS, options.signal, 'waiting for the PGlite database to close');
  }
}

function sameHolder(a: LockOwner, b: LockOwner): boolean {
  return a.pid === b.pid && a.host === b.host && a.startedAt === b.startedAt;
}

function lockedError(
  folder: string,
  lockPath: string,
  guardPath: string,
  holder: LockOwner | undefined,
  cause?: unknown,
): WinnowError {
  const who = holder === undefined ? 'another process' : describeOwner(holder);
  return new WinnowError(
    'E_LOCKED',
    `the PGlite database is open in another process (${who}); if that process is gone, remove ${lockPath} and ${guardPath}`,
    {
      file: folder,
      ...(cause === undefined ? {} : { cause }),
      hint: 'PGlite serves one process at a time: wait for the other run (--wait), or use a PostgreSQL server via DATABASE_URL for concurrent access; a lock of another host is taken over after its lease (2 minutes) without a heartbeat',
    },
  );
}
