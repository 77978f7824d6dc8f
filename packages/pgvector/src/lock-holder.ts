import { WinnowError } from '@winnow/core';
import { advisoryKey } from './advisory.js';
import type { SqlExecutor } from './driver.js';

/** The server backend holding a session advisory lock: its pid and start time (a reused pid has another start). */
export interface LockHolder {
  pid: number;
  started: string;
}

/** The backend that holds the server lock `name` now, or undefined when nobody does. */
export async function advisoryLockHolder(db: SqlExecutor, name: string): Promise<LockHolder | undefined> {
  const { rows } = await db.query<LockHolder>(
    `select l.pid, a.backend_start::text as started
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where ${HELD} limit 1`,
    [advisoryKey(name)],
  );
  return rows[0];
}

/**
 * Inside the write transaction `tx`: takes lock `name`'s fence shared (a new holder passes the fence exclusively
 * before it starts, so it waits for this transaction) and checks in pg_locks that `holder` still holds the lock.
 * The one check behind both a lock's own `verify` and writes made under a lock another process holds.
 */
export async function holdsAdvisoryLock(tx: SqlExecutor, name: string, holder: LockHolder): Promise<boolean> {
  await tx.query('select pg_advisory_xact_lock_shared($1::bigint)', [advisoryKey(`${name}:fence`)]);
  const { rows } = await tx.query<{ held: boolean }>(
    `select exists (
       select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid
       where ${HELD} and l.pid = $2 and a.backend_start = $3::timestamptz) as held`,
    [advisoryKey(name), holder.pid, holder.started],
  );
  return rows[0]?.held === true;
}

/** E_LOCK_LOST for a write whose lock (held here or by another process) is gone. */
export function lockLostError(name: string, why: string, subject: { file?: string; setting?: string } = {}) {
  return new WinnowError('E_LOCK_LOST', `lock '${name}' was lost (${why}); stopped before writing`, {
    ...subject,
    details: { lock: name },
    hint: 'the session holding the lock ended; what was written stays, run again to finish',
  });
}

// A bigint advisory key shows in pg_locks as classid (high 32 bits), objid (low 32 bits), objsubid 1.
const HELD = `l.locktype = 'advisory' and l.granted and l.mode = 'ExclusiveLock' and l.objsubid = 1
  and ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint`;
