export { GROUPS_SETTING, TENANT_SETTING } from './access-sql.js';
export type { PreparedCollection, RequestedCollection } from './collection.js';
export type { HeldLock, LockOptions, ReleaseLock, SqlDriver, SqlExecutor, SqlResult, SqlRow } from './driver.js';
export { compileFilter } from './filter-sql.js';
export type { LockHolder } from './lock-holder.js';
export { MIGRATIONS, type Migration } from './migrations.js';
export { mmrOrder } from './mmr.js';
export { type CollectionTables, collectionTables } from './naming.js';
export { type OpenPgVectorStoreOptions, openPgVectorStore } from './open.js';
export { createPgDriver, DEFAULT_STATEMENT_TIMEOUT_MS, type PgDriverOptions } from './pg-driver.js';
export { createPgliteDriver, DEFAULT_PGLITE_PATH, type PgliteDriverOptions } from './pglite-driver.js';
export type { MmrOptions, PgSearchRequest } from './search.js';
export type {
  CollectionSettings,
  IndexSettings,
  IterativeScan,
  TextSearchConfig,
  VectorIndexOptions,
  VectorIndexType,
  VectorType,
} from './settings.js';
export { SqlParams } from './sql-params.js';
export { type LockCallOptions, PgVectorStore } from './store.js';
export type { BuildIndexOptions, IndexBuildResult, IndexStatus } from './vector-index.js';
export { formatFloat32, formatVector, parseVector } from './vector-text.js';
export type { WriteSummary } from './write.js';
