import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { throwIfAborted, WinnowError } from '@winnow/core';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { advisoryKey } from './advisory.js';
import {
  assertLockName,
  type DbSubject,
  type HeldLock,
  type LockOptions,
  redactUrl,
  type SqlDriver,
  type SqlExecutor,
  type SqlResult,
  toDbError,
} from './driver.js';
import { holdsAdvisoryLock } from './lock-holder.js';
import { sleep } from './sleep.js';
import { type StatementSettings, settingsBatch } from './statement-batch.js';

export interface PgDriverOptions {
  /** A connection string (e.g. DATABASE_URL); used when no pool is given. */
  url?: string;
  /** An existing pool: the caller keeps it, so `close()` leaves it open. */
  pool?: pg.Pool;
  /** The setting that holds the URL, named in errors. Default `store.url`. */
  setting?: string;
  /** Pool size when the driver creates the pool. Default 10. */
  maxConnections?: number;
  /**
   * The server's statement_timeout (ms) on the driver's own pool; 0 turns it off. An injected pool keeps its
   * own settings. Default DEFAULT_STATEMENT_TIMEOUT_MS.
   */
  statementTimeoutMs?: number;
  /** The setting that holds the statement timeout, named in E_TIMEOUT. Default `store.statementTimeoutMs`. */
  timeoutSetting?: string;
}

/**
 * 30 s: a search of a well-filtered collection takes milliseconds, so a statement still running after 30 s is
 * a runaway (issue #16: a filter ran 168 s and kept the server busy after its client died) rather than work.
 * Index builds, which can take minutes, lift the limit for their own transaction.
 */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

/** How long one `pg_advisory_lock` attempt waits before checking the AbortSignal again. */
const LOCK_ATTEMPT_MS = 200;

/** A driver over a node-postgres pool: COPY for bulk writes, session advisory locks for `lock()`. */
export function createPgDriver(options: PgDriverOptions): SqlDriver {
  const setting = options.setting ?? 'store.url';
  if (options.pool === undefined && (options.url === undefined || options.url === '')) {
    throw new WinnowError('E_CONFIG_INVALID', 'a PostgreSQL connection string or pool is required', { setting });
  }
  const ownsPool = options.pool === undefined;
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const timeoutSetting = options.timeoutSetting ?? 'store.statementTimeoutMs';
  if (!Number.isInteger(statementTimeoutMs) || statementTimeoutMs < 0 || statementTimeoutMs > 2_147_483_647) {
    throw new WinnowError('E_CONFIG_INVALID', `expected an integer number of ms >= 0, got ${statementTimeoutMs}`, {
      setting: timeoutSetting,
    });
  }
  // Sent as a startup parameter, so it holds for every statement on every connection without a round trip.
  const pool =
    options.pool ??
    new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
    });
  // An idle client that loses its connection emits 'error' on the pool; unhandled, it would end the process.
  // The next checkout reconnects, so there is nothing to do here.
  if (ownsPool) pool.on('error', () => undefined);
  const location = options.url === undefined ? 'postgres (injected pool)' : redactUrl(options.url);
  const subject: DbSubject = { setting };

  /**
   * A checked-out client whose connection drops between queries emits 'error' on itself (the pool only
   * listens while it is idle); unhandled, that would end the process. The next query reports the failure.
   */
  const ignoreConnectionError = (): void => undefined;

  async function connect(): Promise<pg.PoolClient> {
    try {
      const client = await pool.connect();
      if (!client.listeners('error').includes(ignoreConnectionError)) client.on('error', ignoreConnectionError);
      return client;
    } catch (error) {
      const mapped = toDbError(error, `connecting to ${location}`, subject);
      throw mapped.code === 'E_DB_QUERY'
        ? new WinnowError('E_DB_CONNECT', mapped.message, { ...subject, cause: error })
        : mapped;
    }
  }

  function executor(client: pg.PoolClient): SqlExecutor {
    return {
      query: (text, params, queryOptions) =>
        runQuery(client, text, params, queryOptions?.signal, queryOptions?.settings),
      copyFrom: (target, data) => runCopy(client, target, data),
    };
  }

  async function runQuery<R extends object>(
    client: pg.Pool | pg.PoolClient,
    text: string,
    params: readonly unknown[] | undefined,
    signal?: AbortSignal,
    settings?: StatementSettings,
  ): Promise<SqlResult<R>> {
    throwIfAborted(signal, 'a statement');
    // Cancelling needs the backend the statement runs on, so a signal pins the query to one client.
    if (signal !== undefined && client === pool) {
      const pinned = await connect();
      try {
        return await runQuery<R>(pinned, text, params, signal, settings);
      } finally {
        pinned.release();
      }
    }
    let cancelling: Promise<unknown> | undefined;
    const onAbort = (): void => {
      cancelling = cancelBackend(client as pg.PoolClient);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (settings !== undefined && settings.length > 0) {
        // One message, one round trip: the SET LOCALs and the statement (see settingsBatch).
        const results = (await client.query(settingsBatch(settings, text, params))) as unknown as pg.QueryResult[];
        const result = results[results.length - 1] as pg.QueryResult;
        return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
      }
      const result = await client.query(text, params === undefined ? undefined : [...params]);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
    } catch (error) {
      if (cancelling !== undefined) {
        throw new WinnowError('E_ABORTED', `a statement on ${location} was aborted`, { cause: signal?.reason });
      }
      if ((error as { code?: unknown }).code === '57014' && /statement timeout/.test(String(error))) {
        throw new WinnowError('E_TIMEOUT', `a statement on ${location} ran past ${timeoutSetting}`, {
          setting: timeoutSetting,
          cause: error,
          hint: statementTimeoutMs > 0 ? `the limit is ${statementTimeoutMs} ms` : undefined,
        });
      }
      throw toDbError(error, `a statement on ${location}`, subject);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // Wait for the cancel to land, so it cannot hit a later statement once the client is reused.
      if (cancelling !== undefined) await cancelling;
    }
  }

  /**
   * Cancels the statement running on `client` with pg_cancel_backend from another pooled connection. Closing
   * the socket instead is not enough: the server notices a vanished client only when it next writes to it,
   * so a long scan would keep running (issue #16). The protocol's CancelRequest would avoid the second
   * connection but node-postgres does not expose it as API. A full pool delays the cancel; statement_timeout
   * still bounds the statement.
   */
  async function cancelBackend(client: pg.PoolClient): Promise<unknown> {
    const pid = (client as unknown as { processID?: unknown }).processID;
    if (typeof pid !== 'number') return undefined;
    return pool.query('select pg_cancel_backend($1)', [pid]).catch(() => undefined);
  }

  async function runCopy(
    client: pg.PoolClient,
    target: string,
    data: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  ): Promise<number> {
    const stream = client.query(copyFromStdin(`copy ${target} from stdin with (format binary)`));
    // The copy stream may report the server's answer to our CopyFail after pipeline() has settled.
    stream.on('error', () => undefined);
    try {
      await pipeline(Readable.from(data), stream);
      return stream.rowCount;
    } catch (error) {
      throw toDbError(error, `COPY into ${location}`, subject);
    }
  }

  return {
    kind: 'postgres',
    location,
    query: (text, params, queryOptions) => runQuery(pool, text, params, queryOptions?.signal, queryOptions?.settings),
    async copyFrom(target, data) {
      const client = await connect();
      try {
        return await runCopy(client, target, data);
      } finally {
        client.release();
      }
    },
    async transaction(fn) {
      const client = await connect();
      let broken: Error | undefined;
      try {
        await runQuery(client, 'BEGIN', undefined);
        const result = await fn(executor(client));
        await runQuery(client, 'COMMIT', undefined);
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // A connection that cannot roll back is discarded rather than returned to the pool.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        throw toDbError(error, `a transaction on ${location}`, subject);
      } finally {
        client.release(broken);
      }
    },
    async lock(name, lockOptions) {
      assertLockName(name);
      return acquireAdvisoryLock(await connect(), name, lockOptions);
    },
    async close() {
      if (ownsPool) await pool.end();
    },
  };

  /**
   * Holds a session-level advisory lock on a dedicated connection until released; if this process dies,
   * the server ends the session and the lock goes with it, so a crashed holder never blocks others.
   *
   * The session can also end while this process lives (pg_terminate_backend, a failover): then the lock is
   * gone and another run may take it (issue #16). `verify` runs inside each write transaction and checks, in
   * pg_locks, that the lock's own backend (pid and backend_start, so a reused pid does not pass) still holds
   * the key. A check alone would leave a window: a write that checked just before the session ended could
   * commit after a new holder started. So every write transaction also takes a shared lock on a second
   * "fence" key, and a new holder takes and drops that key exclusively before it returns: it waits for such
   * writes to commit, and any later write sees the new holder's pid and fails. (pg_try_advisory_xact_lock on
   * the key itself cannot tell "held by us" from "held by another run": both refuse it from this backend.)
   */
  async function acquireAdvisoryLock(
    client: pg.PoolClient,
    name: string,
    { wait, signal }: LockOptions,
  ): Promise<HeldLock> {
    const key = advisoryKey(name);
    const fence = advisoryKey(`${name}:fence`);
    let acquired = false;
    let holder: { pid: number; started: string };
    try {
      if (!wait) {
        const { rows } = await runQuery<{ ok: boolean }>(client, 'select pg_try_advisory_lock($1::bigint) as ok', [
          key,
        ]);
        if (rows[0]?.ok !== true) {
          throw new WinnowError('E_LOCKED', `lock '${name}' is held by another session on ${location}`, subject);
        }
        acquired = true;
      } else {
        // pg_advisory_lock waits in the server; lock_timeout bounds each wait so the AbortSignal is checked.
        await runQuery(client, `select set_config('lock_timeout', $1, false)`, [`${LOCK_ATTEMPT_MS}ms`]);
        for (;;) {
          await sleep(0, signal, `waiting for lock '${name}'`);
          try {
            await client.query('select pg_advisory_lock($1::bigint)', [key]);
            acquired = true;
            break;
          } catch (error) {
            if ((error as { code?: unknown }).code !== '55P03') throw toDbError(error, `locking '${name}'`, subject);
          }
        }
        await client.query('reset lock_timeout');
      }
      // Waits for write transactions of a previous holder that checked the lock just before losing it.
      await runQuery(client, 'select pg_advisory_lock($1::bigint)', [fence]);
      await runQuery(client, 'select pg_advisory_unlock($1::bigint)', [fence]);
      const { rows } = await runQuery<{ pid: number; started: string }>(
        client,
        'select pid, backend_start::text as started from pg_stat_activity where pid = pg_backend_pid()',
        undefined,
      );
      holder = rows[0] as { pid: number; started: string };
    } catch (error) {
      // A connection that holds the lock is dropped (ending the session frees it); any other goes back to the
      // pool, so it must not keep the short lock_timeout.
      if (acquired) client.release(true);
      else
        await client.query('reset lock_timeout').then(
          () => client.release(),
          (resetError: unknown) => client.release(resetError instanceof Error ? resetError : true),
        );
      throw error;
    }
    // The socket's end is the cheapest sign of a lost session: it spares the round trip to pg_locks.
    let ended = false;
    const onEnd = (): void => {
      ended = true;
    };
    client.on('end', onEnd);
    client.on('error', onEnd);
    const lockLost = (why: string) =>
      new WinnowError('E_LOCK_LOST', `lock '${name}' on ${location} was lost (${why}); stopped before writing`, {
        ...subject,
        details: { lock: name, pid: holder.pid },
        hint: 'the server ended the session holding the lock; what was written stays, run again to finish',
      });
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      client.off('end', onEnd);
      client.off('error', onEnd);
      if (ended) return client.release(true);
      try {
        await client.query('select pg_advisory_unlock($1::bigint)', [key]);
        client.release();
      } catch (error) {
        // Dropping the connection ends the session, which releases the lock on the server.
        client.release(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const verify = async (tx: SqlExecutor) => {
      if (ended || released) throw lockLost(released ? 'already released' : 'its connection ended');
      if (!(await holdsAdvisoryLock(tx, name, holder))) throw lockLost(`backend ${holder.pid} no longer holds it`);
    };
    return Object.assign(release, { verify });
  }
}
