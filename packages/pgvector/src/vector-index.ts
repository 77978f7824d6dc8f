import { advisoryKey } from './advisory.js';
import type { SqlDriver, SqlExecutor } from './driver.js';
import type { CollectionTables } from './naming.js';
import {
  type CollectionSettings,
  checkInteger,
  type IndexSettings,
  operatorClass,
  type VectorIndexType,
} from './settings.js';

export interface IndexStatus {
  type: VectorIndexType;
  name: string;
  exists: boolean;
  /** The server's CREATE INDEX statement for it, when it exists. */
  definition?: string;
}

export interface IndexBuildResult extends IndexStatus {
  /** False when the index already existed (and no rebuild was asked for) or the type is 'none'. */
  built: boolean;
  /** IVFFlat lists actually used. */
  lists?: number;
  ms: number;
}

export interface BuildIndexOptions {
  /** Drop and re-create an existing index (e.g. after changing m or lists). */
  rebuild?: boolean;
  /** `maintenance_work_mem` for the build, e.g. `'512MB'`; HNSW builds much faster when the graph fits. */
  maintenanceWorkMem?: string;
  /**
   * `max_parallel_maintenance_workers` for the build: HNSW builds in parallel on pgvector >= 0.6 when the graph
   * fits in maintenance_work_mem; the server caps it by max_worker_processes. Default: the server's (usually 2).
   */
  parallelWorkers?: number;
}

export async function readIndexStatus(
  db: SqlExecutor,
  tables: CollectionTables,
  type: VectorIndexType,
): Promise<IndexStatus> {
  const { rows } = await db.query<{ indexdef: string }>(
    'select indexdef from pg_indexes where schemaname = current_schema() and indexname = $1',
    [tables.vectorIndex],
  );
  const definition = rows[0]?.indexdef;
  const status: IndexStatus = { type, name: tables.vectorIndex, exists: definition !== undefined };
  if (definition !== undefined) status.definition = definition;
  return status;
}

/** pgvector's advice for IVFFlat: rows/1000 lists up to a million rows, √rows above. */
export function defaultLists(rows: number): number {
  const lists = rows <= 1_000_000 ? Math.round(rows / 1000) : Math.round(Math.sqrt(rows));
  return Math.min(32_768, Math.max(1, lists));
}

/**
 * Builds the vector index over the rows already loaded (one pass is much faster than growing the index row
 * by row). Runs in a transaction under a per-collection advisory lock, so two processes never build it twice.
 */
export function buildVectorIndex(
  driver: SqlDriver,
  tables: CollectionTables,
  settings: CollectionSettings,
  index: IndexSettings,
  options: BuildIndexOptions,
): Promise<IndexBuildResult> {
  const started = performance.now();
  return driver.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1::bigint)', [advisoryKey(`index:${tables.collection}`)]);
    const before = await readIndexStatus(tx, tables, index.type);
    if (index.type === 'none' || (before.exists && options.rebuild !== true)) {
      return { ...before, built: false, ms: performance.now() - started };
    }
    if (before.exists) await tx.query(`drop index if exists "${tables.vectorIndex}"`);
    // A large build takes minutes; statement_timeout is for runaway searches, so it is lifted here.
    await tx.query(`select set_config('statement_timeout', '0', true)`);
    if (options.maintenanceWorkMem !== undefined) {
      await tx.query(`select set_config('maintenance_work_mem', $1, true)`, [options.maintenanceWorkMem]);
    }
    if (options.parallelWorkers !== undefined) {
      const workers = checkInteger(options.parallelWorkers, 0, 64, 'parallelWorkers');
      await tx.query(`select set_config('max_parallel_maintenance_workers', $1, true)`, [String(workers)]);
    }
    const opclass = operatorClass(settings.metric, settings.vectorType);
    let lists: number | undefined;
    // m, ef_construction and lists are validated integers, so they are safe to write into the DDL.
    let withClause: string;
    if (index.type === 'hnsw') {
      withClause = `m = ${index.m}, ef_construction = ${index.efConstruction}`;
    } else {
      const { rows } = await tx.query<{ n: number }>(`select count(*)::int as n from ${tables.chunks}`);
      lists = index.lists ?? defaultLists(rows[0]?.n ?? 0);
      withClause = `lists = ${lists}`;
    }
    await tx.query(
      `create index "${tables.vectorIndex}" on ${tables.chunks} using ${index.type} (embedding ${opclass}) with (${withClause})`,
    );
    // Fresh statistics after a bulk load, so filter selectivity and index-vs-scan choices are estimated well.
    await tx.query(`analyze ${tables.chunks}`);
    const after = await readIndexStatus(tx, tables, index.type);
    const result: IndexBuildResult = { ...after, built: true, ms: performance.now() - started };
    if (lists !== undefined) result.lists = lists;
    return result;
  });
}

/** Chunks written before a refresh is considered: below this, planner estimates barely move. */
const ANALYZE_MIN_ROWS = 1_000;
/** autovacuum's default analyze_scale_factor: refresh once writes reach 10% of the rows last counted. */
const ANALYZE_SCALE_FACTOR = 0.1;

/**
 * Refreshes the chunks table's planner statistics (ANALYZE) after bulk loads, as autovacuum would but at once:
 * a fresh load is otherwise planned from an empty table's estimates (wrong filter selectivity, index-vs-scan
 * choices), and PGlite has no autovacuum at all. Counts the chunks written through this store since the last
 * refresh and analyzes when they reach 10% of the rows the planner knows of (at least 1,000).
 */
export class PlannerStatistics {
  private written = 0;

  constructor(
    private readonly driver: SqlDriver,
    private readonly tables: CollectionTables,
  ) {}

  /** Records `chunks` written; returns true when it refreshed the statistics. */
  async afterWrite(chunks: number): Promise<boolean> {
    this.written += chunks;
    if (this.written < ANALYZE_MIN_ROWS) return false;
    const { rows } = await this.driver.query<{ n: number }>(
      'select greatest(reltuples, 0)::float8 as n from pg_class where oid = $1::regclass',
      [this.tables.chunks],
    );
    if (this.written < ANALYZE_SCALE_FACTOR * (rows[0]?.n ?? 0)) return false;
    await this.refresh();
    return true;
  }

  async refresh(): Promise<void> {
    await this.driver.query(`analyze ${this.tables.chunks}`);
    this.written = 0;
  }
}
