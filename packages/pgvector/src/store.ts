import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type CallOptions,
  type Candidate,
  type DistanceMetric,
  type DocumentRecord,
  type ListOptions,
  type Metadata,
  type StoreCounts,
  type StoredDocumentWrite,
  throwIfAborted,
  type VectorStore,
} from '@winnow/core';
import { accessScope, grantReader } from './access-sql.js';
import { bm25DropSql } from './bm25-schema.js';
import type { HeldLock, SqlDriver, SqlExecutor } from './driver.js';
import { rowToDocument } from './hits.js';
import { advisoryLockHolder, holdsAdvisoryLock, type LockHolder, lockLostError } from './lock-holder.js';
import type { CollectionTables } from './naming.js';
import { type PgSearchRequest, type SearchContext, search } from './search.js';
import type { CollectionSettings, IndexSettings, VectorType } from './settings.js';
import { SqlParams } from './sql-params.js';
import {
  type BuildIndexOptions,
  buildVectorIndex,
  type IndexBuildResult,
  type IndexStatus,
  PlannerStatistics,
  readIndexStatus,
} from './vector-index.js';
import { parseVector } from './vector-text.js';
import { type WriteContext, type WriteSummary, writeDocuments } from './write.js';

export interface LockCallOptions extends CallOptions {
  /** Wait for the lock (true) or throw E_LOCKED at once when another holder has it (false). */
  wait: boolean;
}

/** Everything a store needs, resolved by `openPgVectorStore`. */
export interface PgVectorStoreInit {
  driver: SqlDriver;
  ownsDriver: boolean;
  tables: CollectionTables;
  settings: CollectionSettings;
  index: IndexSettings;
  pgvectorVersion: string;
  deferIndex: boolean;
  write: Omit<WriteContext, 'driver' | 'tables' | 'dimensions' | 'vectorType'>;
  search: Pick<
    SearchContext,
    'defaultEfSearch' | 'iterativeScan' | 'iterativeScanSupported' | 'ivfflatProbes' | 'accessControl'
  >;
  maintenanceWorkMem: string | undefined;
}

/** Lookups by id or hash are sent in slices, keeping each statement's array parameter modest. */
const LOOKUP_SLICE = 5_000;

/**
 * A collection of documents and embedded chunks in PostgreSQL with pgvector: dense (HNSW/IVFFlat), lexical
 * (tsvector + GIN) and hybrid (reciprocal rank fusion in one statement) search. Open it with
 * `openPgVectorStore`.
 */
export class PgVectorStore implements VectorStore {
  readonly collection: string;
  readonly modelId: string;
  readonly dimensions: number;
  readonly metric: DistanceMetric;
  readonly vectorType: VectorType;
  readonly pgvectorVersion: string;
  readonly driver: SqlDriver;
  readonly index: IndexSettings;
  private readonly init: PgVectorStoreInit;
  private readonly tables: CollectionTables;
  private indexKnownToExist = false;
  private readonly locks = new AsyncLocalStorage<HeldLock>();
  private readonly statistics: PlannerStatistics;

  constructor(init: PgVectorStoreInit) {
    this.init = init;
    this.driver = init.driver;
    this.tables = init.tables;
    this.collection = init.tables.collection;
    this.modelId = init.settings.modelId;
    this.dimensions = init.settings.dimensions;
    this.metric = init.settings.metric;
    this.vectorType = init.settings.vectorType;
    this.pgvectorVersion = init.pgvectorVersion;
    this.index = init.index;
    this.statistics = new PlannerStatistics(init.driver, init.tables);
  }

  /**
   * Replaces each document and all its chunks: upsert the document, delete its old chunks, insert the new
   * ones, in one transaction. Small documents share a transaction (up to `maxChunksPerTransaction` chunks),
   * so each is still all-or-nothing. Unless `deferIndex` is set, a call that finds no vector index builds it
   * after its rows are loaded.
   */
  async replaceDocuments(writes: readonly StoredDocumentWrite[], options: CallOptions = {}): Promise<void> {
    await this.writeDocuments(writes, options);
  }

  /** `replaceDocuments`, reporting what was written. */
  async writeDocuments(writes: readonly StoredDocumentWrite[], options: CallOptions = {}): Promise<WriteSummary> {
    const buildAfter = !this.init.deferIndex && this.index.type !== 'none' && !(await this.hasVectorIndex());
    const summary = await writeDocuments(
      {
        ...this.init.write,
        driver: this.driver,
        tables: this.tables,
        dimensions: this.dimensions,
        vectorType: this.vectorType,
        verifyLock: this.heldLock(),
      },
      writes,
      options.signal,
    );
    if (buildAfter && summary.chunks > 0) await this.buildIndex();
    else await this.statistics.afterWrite(summary.chunks);
    return summary;
  }

  /** Deletes documents (their chunks go by ON DELETE CASCADE); returns how many documents existed. */
  async deleteDocuments(ids: readonly string[], options: CallOptions = {}): Promise<number> {
    const verifyLock = this.heldLock();
    const run = async (db: SqlExecutor) => {
      let deleted = 0;
      for (let start = 0; start < ids.length; start += LOOKUP_SLICE) {
        throwIfAborted(options.signal, 'deleting documents');
        const { rowCount } = await db.query(`delete from ${this.tables.documents} where id = any($1::text[])`, [
          ids.slice(start, start + LOOKUP_SLICE),
        ]);
        deleted += rowCount;
      }
      return deleted;
    };
    if (verifyLock === undefined || ids.length === 0) return run(this.driver);
    // Under a lock, the deletion is one transaction that checks the lock first: all of it or none.
    return this.driver.transaction(async (tx) => {
      await verifyLock(tx);
      return run(tx);
    });
  }

  /**
   * Every document, ordered by id; with `ids`, only those of them that are stored (e.g. one worker batch's); with
   * `principal`, only those it may see (the search predicate, and the RLS settings for a reader role).
   */
  async listDocuments(options: ListOptions & { ids?: readonly string[] } = {}): Promise<DocumentRecord[]> {
    throwIfAborted(options.signal, 'listing documents');
    const params = new SqlParams();
    const scope = accessScope(this.collection, false, options.principal, params);
    const where = [
      options.ids === undefined ? undefined : `d.id = any(${params.add(options.ids)}::text[])`,
      scope?.predicate,
    ].filter((test): test is string => test !== undefined);
    const { rows } = await this.driver.query<{
      id: string;
      uri: string;
      content_hash: string;
      title: string | null;
      document_metadata: Metadata;
    }>(
      `select d.id, d.uri, d.content_hash, d.title, d.metadata as document_metadata from ${this.tables.documents} d
        ${where.length === 0 ? '' : `where ${where.join(' and ')}`} order by d.id`,
      params.values,
      scope === undefined ? {} : { settings: scope.settings },
    );
    return rows.map(rowToDocument);
  }

  /** document id → content hash: what an incremental reindex compares a source tree against. */
  async documentHashes(options: CallOptions = {}): Promise<Map<string, string>> {
    throwIfAborted(options.signal, 'reading document hashes');
    const { rows } = await this.driver.query<{ id: string; content_hash: string }>(
      `select id, content_hash from ${this.tables.documents} order by id`,
    );
    return new Map(rows.map((row) => [row.id, row.content_hash]));
  }

  /** chunk id → text hash for one document, in ordinal order. */
  async chunkHashes(documentId: string, options: CallOptions = {}): Promise<Map<string, string>> {
    throwIfAborted(options.signal, 'reading chunk hashes');
    const { rows } = await this.driver.query<{ id: string; hash: string }>(
      `select id, hash from ${this.tables.chunks} where document_id = $1 order by ordinal`,
      [documentId],
    );
    return new Map(rows.map((row) => [row.id, row.hash]));
  }

  /** Stored embeddings by chunk text hash (one per hash), so unchanged text is never embedded twice. */
  async embeddingsByHash(hashes: readonly string[], options: CallOptions = {}): Promise<Map<string, Float32Array>> {
    const found = new Map<string, Float32Array>();
    const unique = [...new Set(hashes)];
    for (let start = 0; start < unique.length; start += LOOKUP_SLICE) {
      throwIfAborted(options.signal, 'reading embeddings');
      const { rows } = await this.driver.query<{ hash: string; embedding: string }>(
        `select distinct on (hash) hash, embedding::text as embedding from ${this.tables.chunks}
         where hash = any($1::text[]) order by hash, id`,
        [unique.slice(start, start + LOOKUP_SLICE)],
      );
      for (const row of rows) found.set(row.hash, parseVector(row.embedding, `embedding of hash ${row.hash}`));
    }
    return found;
  }

  /** Dense, lexical or hybrid top-k; see PgSearchRequest for MMR. Candidates carry scores and 1-based ranks. */
  search(request: PgSearchRequest, options: CallOptions = {}): Promise<Candidate[]> {
    throwIfAborted(options.signal, 'search');
    return search(
      {
        ...this.init.search,
        driver: this.driver,
        tables: this.tables,
        collection: this.collection,
        modelId: this.modelId,
        dimensions: this.dimensions,
        metric: this.metric,
        vectorType: this.vectorType,
        textSearch: this.init.settings.textSearch,
        index: this.index,
        signal: options.signal,
      },
      request,
    );
  }

  /** Documents and chunks stored; with `principal`, those it may see. */
  async counts(options: ListOptions = {}): Promise<StoreCounts> {
    throwIfAborted(options.signal, 'counting');
    const params = new SqlParams();
    const scope = accessScope(this.collection, false, options.principal, params);
    const visible = scope === undefined ? '' : `where ${scope.predicate}`;
    const { rows } = await this.driver.query<{ documents: number; chunks: number }>(
      `select (select count(*)::int from ${this.tables.documents} d ${visible}) as documents,
              (select count(*)::int from ${this.tables.chunks} c
                ${scope === undefined ? '' : `join ${this.tables.documents} d on d.id = c.document_id ${visible}`}) as chunks`,
      params.values,
      scope === undefined ? {} : { settings: scope.settings },
    );
    return rows[0] ?? { documents: 0, chunks: 0 };
  }

  /** Whether the collection has access control on: every search must name a principal. */
  get accessControl(): boolean {
    return this.init.search.accessControl === true;
  }

  /**
   * Lets `role` (not the owner, no BYPASSRLS) search this collection under row-level security: connected as it, an
   * app sees only the rows of the principal each search names, whatever SQL it runs. Run as the tables' owner.
   */
  grantReader(role: string): Promise<void> {
    return grantReader(this.driver, this.tables, role);
  }

  /** Builds the vector index now (after a bulk load with `deferIndex`); a no-op when it exists. */
  async buildIndex(options: BuildIndexOptions = {}): Promise<IndexBuildResult> {
    const result = await buildVectorIndex(this.driver, this.tables, this.init.settings, this.index, {
      maintenanceWorkMem: this.init.maintenanceWorkMem,
      ...options,
    });
    this.indexKnownToExist = result.exists;
    return result;
  }

  indexStatus(): Promise<IndexStatus> {
    return readIndexStatus(this.driver, this.tables, this.index.type);
  }

  /**
   * Runs `fn` while holding the collection-scoped lock `name`, across processes: a session advisory lock on
   * a server, a lock file beside the PGlite folder. With `wait: false`, throws E_LOCKED if it is taken.
   */
  async withLock<T>(name: string, fn: () => Promise<T>, options: LockCallOptions): Promise<T> {
    const held = await this.driver.lock(`${this.collection}.${name}`, {
      wait: options.wait,
      signal: options.signal,
    });
    try {
      // Scoped to fn's async calls, so writes made for the lock holder (and only those) verify it.
      return await this.locks.run(held, fn);
    } finally {
      await held();
    }
  }

  /**
   * The server backend holding the collection-scoped lock `name` now (pid and start time), or undefined: nobody
   * holds it, or the store is PGlite (whose lock is a file, not a session). A distributed planner publishes this so
   * its workers can check, in each write, that it still holds the lock.
   */
  async lockHolder(name: string): Promise<LockHolder | undefined> {
    if (this.driver.kind !== 'postgres') return undefined;
    return advisoryLockHolder(this.driver, `${this.collection}.${name}`);
  }

  /**
   * Runs `fn` with its writes guarded by the lock `name` that another process holds (a distributed worker writing
   * for its planner): each write transaction first takes the lock's fence shared, asks `holder(tx)` which backend
   * must hold the lock, and throws E_LOCK_LOST unless that backend still does; the same check as `withLock`'s own.
   */
  async withLockHeldBy<T>(
    name: string,
    holder: (tx: SqlExecutor) => Promise<LockHolder | undefined>,
    fn: () => Promise<T>,
  ): Promise<T> {
    const lockName = `${this.collection}.${name}`;
    const verify = async (tx: SqlExecutor) => {
      const expected = await holder(tx);
      if (expected === undefined) throw lockLostError(lockName, 'no process holds it for this write');
      if (!(await holdsAdvisoryLock(tx, lockName, expected))) {
        throw lockLostError(lockName, `backend ${expected.pid} no longer holds it`);
      }
    };
    // Nothing to release here: the lock belongs to the other process.
    return this.locks.run(
      Object.assign(async () => undefined, { verify }),
      fn,
    );
  }

  /** The check of the lock held by the current `withLock` call, if any. */
  private heldLock(): ((tx: SqlExecutor) => Promise<void>) | undefined {
    const held = this.locks.getStore();
    return held === undefined ? undefined : (tx) => held.verify(tx);
  }

  /** Drops the collection's tables (documents, chunks, settings, migrations, BM25 statistics). The store is unusable after. */
  async drop(): Promise<void> {
    const t = this.tables;
    await this.driver.query(`drop table if exists ${t.chunks}, ${t.documents}, ${t.info}, ${t.migrations} cascade`);
    for (const statement of bm25DropSql(t)) await this.driver.query(statement);
    this.indexKnownToExist = false;
  }

  /** Closes the database connection or PGlite instance if the store opened it (not an injected driver). */
  async close(): Promise<void> {
    if (this.init.ownsDriver) await this.driver.close();
  }

  private async hasVectorIndex(): Promise<boolean> {
    if (!this.indexKnownToExist) this.indexKnownToExist = (await this.indexStatus()).exists;
    return this.indexKnownToExist;
  }
}
