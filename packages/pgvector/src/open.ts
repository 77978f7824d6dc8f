import { type DistanceMetric, WinnowError } from '@winnow/core';
import type pg from 'pg';
import { enableAccessControl, readAccessControl } from './access-sql.js';
import { ITERATIVE_SCAN_PGVECTOR, prepareCollection, versionAtLeast } from './collection.js';
import type { SqlDriver } from './driver.js';
import { collectionTables } from './naming.js';
import { createPgDriver } from './pg-driver.js';
import { createPgliteDriver, DEFAULT_PGLITE_PATH } from './pglite-driver.js';
import {
  checkIndexable,
  checkInteger,
  type IterativeScan,
  MAX_EF_SEARCH,
  resolveIndexSettings,
  type TextSearchConfig,
  type VectorIndexOptions,
} from './settings.js';
import { PgVectorStore } from './store.js';

export interface OpenPgVectorStoreOptions {
  /**
   * A ready driver (the store leaves it open on close), or which built-in driver to create: 'postgres'
   * (at `url`, else DATABASE_URL) or 'pglite' (at `path`). Default: 'postgres' when `url` or `pool` is
   * given, else 'pglite'. Any other name (core's config allows registered stores) fails with E_CONFIG_INVALID.
   */
  driver?: SqlDriver | string;
  /** PostgreSQL connection string. */
  url?: string;
  /** An existing node-postgres pool (left open on close). */
  pool?: pg.Pool;
  /** PGlite database folder, or `memory://`. Default `.winnow/db`. */
  path?: string;
  /** Table-name prefix: lower-case letters, digits and _. Default `winnow`. */
  collection?: string;
  /** Embedding model id; needed to create a collection, checked against an existing one. */
  modelId?: string;
  dimensions?: number;
  /** Default cosine. Fixed at creation. */
  metric?: DistanceMetric;
  index?: VectorIndexOptions;
  /** Half-precision storage: 'auto' (default) uses it above 2,000 dimensions. Fixed at creation. */
  halfvec?: boolean | 'auto';
  /** Text-search configuration of the lexical column. Default 'english'. Fixed at creation. */
  textSearch?: TextSearchConfig;
  /**
   * Index policy. false (default): a `replaceDocuments` call that finds no vector index builds it after
   * loading its rows. true: only `buildIndex()` builds it — use this when loading in many calls, and call
   * `buildIndex()` once at the end. Without an index, dense search is exact (a sequential scan).
   */
  deferIndex?: boolean;
  /**
   * HNSW ef_search for requests without `efSearch`. Default 150 (as the framework's recall.efSearch): bench:scale at
   * 200k chunks measured recall@10 0.938 to 0.976 at pgvector's 40 across two builds, 0.968 to 0.977 at 100; at 1M
   * chunks 0.884 at 40, 0.945 at 100, 0.955 at 150 and 200 (eval/results/scale).
   */
  efSearch?: number;
  /** Iterative index scan for filtered queries (pgvector >= 0.8). Default 'relaxed_order'. */
  iterativeScan?: IterativeScan;
  /** IVFFlat probes per query. Default: the server's (1). */
  ivfflatProbes?: number;
  /** Chunks per write transaction before a new one starts (a document is never split). Default 2,000. */
  maxChunksPerTransaction?: number;
  /** Rows per multi-row INSERT when COPY is not used (PGlite). Default 200. */
  insertRowsPerStatement?: number;
  /** Use COPY for chunk writes where the driver supports it. Default true. */
  copy?: boolean;
  /** maintenance_work_mem for index builds, e.g. '512MB'. Default: the server's. */
  maintenanceWorkMem?: string;
  /** PGlite: when another process has the folder open, wait for it instead of failing with E_LOCKED. */
  waitForLock?: boolean;
  /**
   * PostgreSQL server: statement_timeout in ms for every statement (index builds excepted); 0 turns it off.
   * Default 30,000 (DEFAULT_STATEMENT_TIMEOUT_MS). Not applied to an injected `pool` or to PGlite, whose
   * single-threaded engine has no timer to interrupt a statement.
   */
  statementTimeoutMs?: number;
  /**
   * Switches per-document access control on for the collection (it stays on): every search must then name a
   * principal, and a server enforces it with row-level security too (see access-sql.ts). Needs the tables' owner
   * the first time.
   */
  accessControl?: boolean;
}

/** Opens (creating or migrating as needed) a collection and returns its store. */
export async function openPgVectorStore(options: OpenPgVectorStoreOptions = {}): Promise<PgVectorStore> {
  const tables = collectionTables(options.collection ?? 'winnow');
  const index = resolveIndexSettings(options.index);
  const defaultEfSearch = checkInteger(options.efSearch ?? 150, 1, MAX_EF_SEARCH, 'store.efSearch');
  const iterativeScan = options.iterativeScan ?? 'relaxed_order';
  if (!['relaxed_order', 'strict_order', 'off'].includes(iterativeScan)) {
    throw new WinnowError('E_CONFIG_INVALID', `expected relaxed_order, strict_order or off, got ${iterativeScan}`, {
      setting: 'store.iterativeScan',
    });
  }
  const maxChunksPerTransaction = checkInteger(
    options.maxChunksPerTransaction ?? 2_000,
    1,
    1_000_000,
    'store.maxChunksPerTransaction',
  );
  // 11 parameters per row; the protocol allows 65,535 per statement.
  const insertRowsPerStatement = checkInteger(
    options.insertRowsPerStatement ?? 200,
    1,
    5_000,
    'store.insertRowsPerStatement',
  );
  const ivfflatProbes =
    options.ivfflatProbes === undefined
      ? undefined
      : checkInteger(options.ivfflatProbes, 1, 32_768, 'store.ivfflatProbes');
  if (options.maintenanceWorkMem !== undefined && !/^\d+\s*(kB|MB|GB)$/.test(options.maintenanceWorkMem)) {
    throw new WinnowError('E_CONFIG_INVALID', `expected a size like '512MB', got ${options.maintenanceWorkMem}`, {
      setting: 'store.maintenanceWorkMem',
    });
  }

  const { driver, ownsDriver } = await resolveDriver(options);
  try {
    const prepared = await prepareCollection(driver, tables, {
      modelId: options.modelId,
      dimensions: options.dimensions,
      metric: options.metric,
      halfvec: options.halfvec,
      textSearch: options.textSearch,
    });
    checkIndexable(index, prepared.settings);
    let accessControl = await readAccessControl(driver, tables);
    if (options.accessControl === true && !accessControl) {
      await enableAccessControl(driver, tables);
      accessControl = true;
    }
    return new PgVectorStore({
      driver,
      ownsDriver,
      tables,
      settings: prepared.settings,
      index,
      pgvectorVersion: prepared.pgvectorVersion,
      deferIndex: options.deferIndex ?? false,
      write: { maxChunksPerTransaction, insertRowsPerStatement, useCopy: options.copy ?? true },
      search: {
        defaultEfSearch,
        iterativeScan,
        iterativeScanSupported: versionAtLeast(prepared.pgvectorVersion, ITERATIVE_SCAN_PGVECTOR),
        ivfflatProbes,
        accessControl,
      },
      maintenanceWorkMem: options.maintenanceWorkMem,
    });
  } catch (error) {
    if (ownsDriver) await driver.close().catch(() => undefined);
    throw error;
  }
}

async function resolveDriver(options: OpenPgVectorStoreOptions): Promise<{ driver: SqlDriver; ownsDriver: boolean }> {
  const choice = options.driver;
  if (typeof choice === 'object') return { driver: choice, ownsDriver: false };
  if (choice !== undefined && choice !== 'postgres' && choice !== 'pglite') {
    throw new WinnowError('E_CONFIG_INVALID', `unknown driver ${JSON.stringify(choice)}; expected postgres or pglite`, {
      setting: 'store.driver',
    });
  }
  const usePostgres =
    choice === 'postgres' || (choice === undefined && (options.url !== undefined || options.pool !== undefined));
  if (usePostgres) {
    const url = options.url ?? (options.pool === undefined ? process.env.DATABASE_URL : undefined);
    if (options.pool === undefined && (url === undefined || url === '')) {
      throw new WinnowError('E_CONFIG_INVALID', 'the postgres driver needs store.url or the DATABASE_URL variable', {
        setting: 'DATABASE_URL',
      });
    }
    const driver = createPgDriver({
      url,
      pool: options.pool,
      setting: options.url !== undefined ? 'store.url' : 'DATABASE_URL',
      statementTimeoutMs: options.statementTimeoutMs,
    });
    return { driver, ownsDriver: true };
  }
  return {
    driver: await createPgliteDriver({
      path: options.path ?? DEFAULT_PGLITE_PATH,
      waitForLock: options.waitForLock ?? false,
    }),
    ownsDriver: true,
  };
}
