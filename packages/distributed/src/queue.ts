import { sha256Hex, WinnowError } from '@winnow/core';
import type { LockHolder, SqlExecutor } from '@winnow/pgvector';
import PgBoss from 'pg-boss';

/** One document to index: what the planner enqueues and a worker reads back through the source API. */
export interface DocumentJob {
  /** The document id (for a folder source, the path relative to the root). */
  id: string;
  /** Where a worker reads it (`file:` URLs today; see the README's source contract). */
  uri: string;
  /** The content hash the planner saw; with the id it names the job, so a re-plan never duplicates work. */
  contentHash: string;
  kind: 'added' | 'changed';
  /** The planner run that first enqueued it. */
  run: string;
}

/** What a worker records on a job it completes. */
export interface CompletedOutput {
  worker: string;
  /** The indexer's report for the batch this job was part of (the same object on every job of the batch). */
  batch: BatchReport;
  /**
   * Each document of the batch by id: `unchanged` when an earlier attempt (killed before it completed its job) had
   * written this version already.
   */
  outcomes: Record<string, 'added' | 'changed' | 'unchanged'>;
}

/** What a worker records on a job it fails (the last attempt's record stays on a dead-lettered job). */
export interface FailedOutput {
  code: string;
  message: string;
  worker: string;
}

export interface BatchReport {
  id: string;
  documents: number;
  chunks: { written: number; embedded: number; reused: number };
  tokens: number;
  durationsMs: { load: number; chunk: number; embed: number; store: number; total: number };
}

export interface QueueSettings {
  /** PostgreSQL server holding both the store and the queue (`DATABASE_URL`). */
  connectionString: string;
  /** pg-boss's schema. Default `pgboss`. */
  schema?: string;
  /** Connections in pg-boss's pool. Default 4. */
  poolSize?: number;
  /**
   * How often pg-boss's maintenance expires jobs whose worker died (and archives old ones). Default 30 s; a killed
   * worker's jobs are retried at most this long after they expire.
   */
  maintenanceIntervalSeconds?: number;
}

/** Queue names are per collection, so two collections reindex independently. */
export function queueNames(collection: string): { jobs: string; deadLetter: string } {
  const safe = collection.replace(/[^\w-]/g, '_');
  return { jobs: `winnow-index-${safe}`, deadLetter: `winnow-index-${safe}-dead` };
}

/**
 * The job id of one document version: a UUID from (collection, id, content hash). pg-boss inserts with
 * `ON CONFLICT DO NOTHING`, so enqueueing the same version again (a planner rerun) adds nothing.
 */
export function jobId(collection: string, id: string, contentHash: string): string {
  const hex = sha256Hex(`${collection}\u0000${id}\u0000${contentHash}`);
  // RFC 9562 version 8 (custom) with the RFC variant bits.
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function assertSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new WinnowError('E_CONFIG_INVALID', `queue schema '${schema}' must be a lower-case SQL identifier`, {
      setting: 'schema',
    });
  }
  return schema;
}

/** Starts pg-boss on the store's server (creating its schema on first use). */
export async function openQueue(settings: QueueSettings): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: settings.connectionString,
    schema: assertSchemaName(settings.schema ?? 'pgboss'),
    max: settings.poolSize ?? 4,
    application_name: 'winnow-queue',
    maintenanceIntervalSeconds: settings.maintenanceIntervalSeconds ?? 30,
    // A planner reads its jobs' outputs when it ends; a long run must not see them archived first.
    archiveCompletedAfterSeconds: 7 * 24 * 3600,
    archiveFailedAfterSeconds: 7 * 24 * 3600,
    schedule: false,
  });
  // pg-boss reports maintenance errors as events; without a listener Node would throw them.
  boss.on('error', (error) => console.error(`winnow queue: ${error.message}`));
  try {
    await boss.start();
  } catch (error) {
    throw new WinnowError('E_DB_CONNECT', `cannot start the job queue: ${(error as Error).message}`, {
      setting: 'DATABASE_URL',
      cause: error,
    });
  }
  return boss;
}

/**
 * The table naming, per collection, the backend that holds the reindex lock for a distributed run: the planner
 * writes its row after it takes the lock, and every worker write checks (in its transaction) that this backend
 * still holds the lock. A stale row names a backend that no longer holds it, so it lets nothing through.
 */
export function plannerTable(schema: string): string {
  return `${assertSchemaName(schema)}.winnow_planner`;
}

export async function ensurePlannerTable(db: SqlExecutor, schema: string): Promise<void> {
  await db.query(
    `create table if not exists ${plannerTable(schema)} (
       collection text primary key,
       run text not null,
       pid integer not null,
       backend_start timestamptz not null,
       started_at timestamptz not null default now())`,
  );
}

export async function publishPlanner(
  db: SqlExecutor,
  schema: string,
  collection: string,
  run: string,
  holder: LockHolder,
): Promise<void> {
  await db.query(
    `insert into ${plannerTable(schema)} (collection, run, pid, backend_start) values ($1, $2, $3, $4::timestamptz)
     on conflict (collection) do update set run = excluded.run, pid = excluded.pid,
       backend_start = excluded.backend_start, started_at = now()`,
    [collection, run, holder.pid, holder.started],
  );
}

export async function withdrawPlanner(db: SqlExecutor, schema: string, collection: string, run: string) {
  await db.query(`delete from ${plannerTable(schema)} where collection = $1 and run = $2`, [collection, run]);
}

/** The backend the current planner's row names, if there is a row (and its table). */
export async function plannerHolder(
  db: SqlExecutor,
  schema: string,
  collection: string,
): Promise<(LockHolder & { run: string }) | undefined> {
  const { rows } = await db.query<LockHolder & { run: string }>(
    `select run, pid, backend_start::text as started from ${plannerTable(schema)} where collection = $1`,
    [collection],
  );
  return rows[0];
}
