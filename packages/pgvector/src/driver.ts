import { WinnowError } from '@winnow/core';
import type { StatementSettings } from './statement-batch.js';

/** One row as a driver returns it: column name → value parsed by the driver's type parsers. */
export type SqlRow = Record<string, unknown>;

export interface SqlResult<R extends object = SqlRow> {
  rows: R[];
  /** Rows returned or affected. */
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Aborts the statement: on a server the running query is cancelled there too (E_ABORTED). PGlite runs a
   * statement to its end (single-threaded WASM), so there the signal is checked only before it starts.
   */
  signal?: AbortSignal;
  /**
   * Transaction-local settings for this statement (e.g. `hnsw.ef_search`): on a server sent with it in one
   * round trip (`SET LOCAL …; <statement>`); inside a transaction they last until it ends.
   */
  settings?: StatementSettings;
}

/** Runs statements: the driver itself (autocommit) or the handle inside a transaction. */
export interface SqlExecutor {
  query<R extends object = SqlRow>(
    text: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<SqlResult<R>>;
  /**
   * Runs `COPY <target> FROM … WITH (FORMAT binary)` with the given binary COPY data, where `target` is
   * `table (columns)`; returns the rows copied. Optional: without it, writers use multi-row INSERTs.
   */
  copyFrom?(target: string, data: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<number>;
}

export interface LockOptions {
  /** Wait for the lock (true) or fail at once with E_LOCKED (false). */
  wait: boolean;
  signal?: AbortSignal;
}

/** Releases a lock; safe to call once. */
export type ReleaseLock = () => Promise<void>;

/** A held lock: call it to release it (safe once); `verify` before each write. */
export type HeldLock = ReleaseLock & {
  /**
   * Throws E_LOCK_LOST unless the lock is still held, checked inside the write transaction `tx` so the check and
   * the write it guards commit together. A no-op where the lock lasts as long as the process (PGlite).
   */
  verify(tx: SqlExecutor): Promise<void>;
};

/** The small surface the store needs from a database: node-postgres and PGlite both provide it. */
export interface SqlDriver extends SqlExecutor {
  readonly kind: 'postgres' | 'pglite';
  /** Where the database is (a password-free URL or a folder), named in error messages. */
  readonly location: string;
  /** Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Cross-process exclusivity under `name` (letters, digits, `_`, `-`, `.`): a session advisory lock on a
   * server, a lock file next to the database folder for PGlite. Throws E_LOCKED when `wait` is false and
   * another holder has it.
   */
  lock(name: string, options: LockOptions): Promise<HeldLock>;
  close(): Promise<void>;
}

/** Where a database error is reported: the folder of a PGlite database, or the setting holding the URL. */
export interface DbSubject {
  file?: string;
  setting?: string;
}

interface PgErrorFields {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  hint?: unknown;
  position?: unknown;
}

/** SQLSTATE classes and codes that mean "cannot reach or log in", as opposed to a failing statement. */
const CONNECT_STATES = new Set(['28000', '28P01', '3D000', '53300', '57P03', '08000', '08001', '08003', '08006']);
const CONNECT_ERRNOS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'EAI_AGAIN']);

/** Turns a driver error into a WinnowError naming what was being done and where. */
export function toDbError(error: unknown, doing: string, subject: DbSubject): WinnowError {
  if (error instanceof WinnowError) return error;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as PgErrorFields;
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const message = typeof fields.message === 'string' ? fields.message : String(error);
  const detail = typeof fields.detail === 'string' ? ` (${fields.detail})` : '';
  if (code === '57014') {
    return new WinnowError('E_ABORTED', `${doing} was cancelled`, { ...subject, cause: error });
  }
  const connect = code !== undefined && (CONNECT_STATES.has(code) || CONNECT_ERRNOS.has(code));
  return new WinnowError(connect ? 'E_DB_CONNECT' : 'E_DB_QUERY', `${doing} failed: ${message}${detail}`, {
    ...subject,
    cause: error,
    details: code === undefined ? undefined : { sqlstate: code },
  });
}

/** A connection string with its password replaced, safe for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparsable connection string>';
  }
}

const LOCK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** Lock names become file names and lock keys, so they are restricted to a safe alphabet. */
export function assertLockName(name: string): void {
  if (!LOCK_NAME.test(name) || name.startsWith('.')) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `lock name ${JSON.stringify(name)} must be 1 to 100 letters, digits, _, - or . (not starting with .)`,
      { field: 'lock name' },
    );
  }
}
