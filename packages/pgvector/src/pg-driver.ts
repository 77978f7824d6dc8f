import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WinnowError } from '@winnow/core';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { advisoryKey } from './advisory.js';
import {
  assertLockName,
  type DbSubject,
  type LockOptions,
  type ReleaseLock,
  redactUrl,
  type SqlDriver,
  type SqlExecutor,
  type SqlResult,
  toDbError,
} from './driver.js';
import { sleep } from './sleep.js';

export interface PgDriverOptions {
  /** A connection string (e.g. DATABASE_URL); used when no pool is given. */
  url?: string;
  /** An existing pool: the caller keeps it, so `close()` leaves it open. */
  pool?: pg.Pool;
  /** The setting that holds the URL, named in errors. Default `store.url`. */
  setting?: string;
  /** Pool size when the driver creates the pool. Default 10. */
  maxConnections?: number;
}

/** How long one `pg_advisory_lock` attempt waits before checking the AbortSignal again. */
const LOCK_ATTEMPT_MS = 200;

/** A driver over a node-postgres pool: COPY for bulk writes, session advisory locks for `lock()`. */
export function createPgDriver(options: PgDriverOptions): SqlDriver {
  const setting = options.setting ?? 'store.url';
  if (options.pool === undefined && (options.url === undefined || options.url === '')) {
    throw new WinnowError('E_CONFIG_INVALID', 'a PostgreSQL connection string or pool is required', { setting });
  }
  const ownsPool = options.pool === undefined;
  const pool = options.pool ?? new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 10 });
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
      query: (text, params) => runQuery(client, text, params),
      copyFrom: (target, data) => runCopy(client, target, data),
    };
  }

  async function runQuery<R extends object>(
    client: pg.Pool | pg.PoolClient,
    text: string,
    params: readonly unknown[] | undefined,
  ): Promise<SqlResult<R>> {
    try {
      const result = await client.query(text, params === undefined ? undefined : [...params]);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
    } catch (error) {
      throw toDbError(error, `a statement on ${location}`, subject);
    }
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
    query: (text, params) => runQuery(pool, text, params),
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
   */
  async function acquireAdvisoryLock(
    client: pg.PoolClient,
    name: string,
    { wait, signal }: LockOptions,
  ): Promise<ReleaseLock> {
    const key = advisoryKey(name);
    try {
      if (!wait) {
        const { rows } = await runQuery<{ ok: boolean }>(client, 'select pg_try_advisory_lock($1::bigint) as ok', [
          key,
        ]);
        if (rows[0]?.ok !== true) {
          throw new WinnowError('E_LOCKED', `lock '${name}' is held by another session on ${location}`, subject);
        }
      } else {
        // pg_advisory_lock waits in the server; lock_timeout bounds each wait so the AbortSignal is checked.
        await runQuery(client, `select set_config('lock_timeout', $1, false)`, [`${LOCK_ATTEMPT_MS}ms`]);
        for (;;) {
          await sleep(0, signal, `waiting for lock '${name}'`);
          try {
            await client.query('select pg_advisory_lock($1::bigint)', [key]);
            break;
          } catch (error) {
            if ((error as { code?: unknown }).code !== '55P03') throw toDbError(error, `locking '${name}'`, subject);
          }
        }
        await client.query('reset lock_timeout');
      }
    } catch (error) {
      // The connection goes back to the pool, so it must not keep the short lock_timeout.
      await client.query('reset lock_timeout').then(
        () => client.release(),
        (resetError: unknown) => client.release(resetError instanceof Error ? resetError : true),
      );
      throw error;
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      try {
        await client.query('select pg_advisory_unlock($1::bigint)', [key]);
        client.release();
      } catch (error) {
        // Dropping the connection ends the session, which releases the lock on the server.
        client.release(error instanceof Error ? error : new Error(String(error)));
      }
    };
  }
}
