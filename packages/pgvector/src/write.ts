import { type StoredDocumentWrite, throwIfAborted, WinnowError } from '@winnow/core';
import { CHUNK_COLUMNS, type ChunkRow, chunkRowParams, toChunkRow, writeChunkRow } from './chunk-row.js';
import { BinaryCopyWriter } from './copy-binary.js';
import type { SqlDriver, SqlExecutor } from './driver.js';
import type { CollectionTables } from './naming.js';
import type { VectorType } from './settings.js';

export interface WriteContext {
  driver: SqlDriver;
  tables: CollectionTables;
  dimensions: number;
  vectorType: VectorType;
  /** Small documents share a transaction up to this many chunks; a larger document gets one of its own. */
  maxChunksPerTransaction: number;
  /** Rows per multi-row INSERT where COPY is not used. */
  insertRowsPerStatement: number;
  /** Use COPY where the driver streams it (the server); false forces multi-row INSERTs. */
  useCopy: boolean;
  /** The held reindex lock's check (E_LOCK_LOST), run first in each transaction; absent outside `withLock`. */
  verifyLock?: ((tx: SqlExecutor) => Promise<void>) | undefined;
}

export interface WriteSummary {
  documents: number;
  chunks: number;
  transactions: number;
}

/**
 * Replaces documents and their chunks. Each transaction upserts its documents, deletes their old chunks and
 * inserts the new ones, so a failure at any point (a bad vector, a lost connection) rolls the whole group
 * back and every document is either fully old or fully new. Groups already committed stay committed.
 */
export async function writeDocuments(
  context: WriteContext,
  writes: readonly StoredDocumentWrite[],
  signal: AbortSignal | undefined,
): Promise<WriteSummary> {
  const summary: WriteSummary = { documents: 0, chunks: 0, transactions: 0 };
  for (const group of groupWrites(latestPerDocument(writes), context.maxChunksPerTransaction)) {
    throwIfAborted(signal, 'replacing documents');
    await context.driver.transaction(async (tx) => {
      await context.verifyLock?.(tx);
      await writeGroup(tx, context, group, signal);
    });
    summary.documents += group.length;
    summary.chunks += group.reduce((sum, write) => sum + write.chunks.length, 0);
    summary.transactions++;
  }
  return summary;
}

/** The same document written twice in one call: the later write wins, as two calls in a row would. */
function latestPerDocument(writes: readonly StoredDocumentWrite[]): StoredDocumentWrite[] {
  const byId = new Map<string, StoredDocumentWrite>();
  writes.forEach((write, index) => {
    const id: unknown = write.document?.id;
    if (typeof id !== 'string' || id === '') {
      throw new WinnowError('E_INTERNAL', `document id ${JSON.stringify(id)} is not a non-empty string`, {
        field: `writes[${index}].document.id`,
      });
    }
    byId.set(id, write);
  });
  return [...byId.values()];
}

function groupWrites(writes: StoredDocumentWrite[], maxChunks: number): StoredDocumentWrite[][] {
  const groups: StoredDocumentWrite[][] = [];
  let current: StoredDocumentWrite[] = [];
  let chunks = 0;
  for (const write of writes) {
    if (current.length > 0 && chunks + write.chunks.length > maxChunks) {
      groups.push(current);
      current = [];
      chunks = 0;
    }
    current.push(write);
    chunks += write.chunks.length;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

async function writeGroup(
  tx: SqlExecutor,
  context: WriteContext,
  group: StoredDocumentWrite[],
  signal: AbortSignal | undefined,
): Promise<void> {
  const { tables } = context;
  const documents = group.map(({ document }) => ({
    id: document.id,
    uri: document.uri,
    content_hash: document.contentHash,
    title: document.title ?? null,
    metadata: document.metadata ?? {},
  }));
  await tx.query(
    `insert into ${tables.documents} (id, uri, content_hash, title, metadata)
     select id, uri, content_hash, title, coalesce(metadata, '{}'::jsonb)
     from jsonb_to_recordset($1::jsonb) as x(id text, uri text, content_hash text, title text, metadata jsonb)
     on conflict (id) do update set uri = excluded.uri, content_hash = excluded.content_hash,
       title = excluded.title, metadata = excluded.metadata, updated_at = now()`,
    [JSON.stringify(documents)],
  );
  await tx.query(`delete from ${tables.chunks} where document_id = any($1::text[])`, [documents.map((d) => d.id)]);
  const rows = chunkRows(group, context.dimensions, context.vectorType);
  if (context.useCopy && tx.copyFrom !== undefined) {
    // One COPY per slice of rows bounds the memory a driver may buffer (PGlite collects a Blob).
    for (const slice of slices(rows, COPY_ROWS_PER_STATEMENT)) {
      await tx.copyFrom(`${tables.chunks} (${CHUNK_COLUMNS.join(', ')})`, copyData(slice, context.vectorType, signal));
    }
  } else {
    await insertRows(tx, context, rows, signal);
  }
}

/** Rendered lazily, so a bad chunk midway fails after earlier rows were sent: the rollback is real. */
function* chunkRows(group: StoredDocumentWrite[], dimensions: number, vectorType: VectorType): Generator<ChunkRow> {
  for (const write of group) {
    for (const chunk of write.chunks) yield toChunkRow(chunk, write.document.id, dimensions, vectorType);
  }
}

const COPY_ROWS_PER_STATEMENT = 5_000;

/** Lazily splits an iterable into arrays of up to `size` items. */
function* slices<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let slice: T[] = [];
  for (const item of items) {
    slice.push(item);
    if (slice.length === size) {
      yield slice;
      slice = [];
    }
  }
  if (slice.length > 0) yield slice;
}

/** Binary COPY data, produced piece by piece as rows are validated. */
function* copyData(
  rows: Iterable<ChunkRow>,
  vectorType: VectorType,
  signal: AbortSignal | undefined,
): Generator<Uint8Array> {
  const writer = new BinaryCopyWriter();
  for (const row of rows) {
    writeChunkRow(writer, row, vectorType);
    const pieces = writer.takePieces();
    if (pieces.length > 0) {
      throwIfAborted(signal, 'replacing documents');
      yield* pieces;
    }
  }
  yield* writer.finish();
}

function chunkCasts(vectorType: VectorType): string[] {
  return ['text', 'text', 'int', 'text', 'text', 'text[]', 'jsonb', 'jsonb', 'int', 'text', vectorType];
}

async function insertRows(
  tx: SqlExecutor,
  context: WriteContext,
  rows: Iterable<ChunkRow>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const casts = chunkCasts(context.vectorType);
  const head = `insert into ${context.tables.chunks} (${CHUNK_COLUMNS.join(', ')}) values `;
  let params: unknown[] = [];
  let tuples: string[] = [];
  const flush = async (): Promise<void> => {
    if (tuples.length === 0) return;
    throwIfAborted(signal, 'replacing documents');
    await tx.query(head + tuples.join(', '), params);
    params = [];
    tuples = [];
  };
  for (const row of rows) {
    const base = params.length;
    tuples.push(`(${casts.map((cast, i) => `$${base + i + 1}::${cast}`).join(', ')})`);
    params.push(...chunkRowParams(row));
    if (tuples.length >= context.insertRowsPerStatement) await flush();
  }
  await flush();
}
