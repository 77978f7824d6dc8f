/**
 * Issue #16 case 5, on the PostgreSQL server (DATABASE_URL): the reindex lock is a session advisory lock, so when
 * the server ends that session (pg_terminate_backend) the lock is gone. The run must notice before its next write
 * and stop with E_LOCK_LOST, keeping and reporting what it wrote, instead of running on beside a second run.
 */
import { type SourceItem, sha256Hex, type WinnowError } from '@winnow/core';
import { createPgDriver, openPgVectorStore, type PgVectorStore, type SqlDriver } from '@winnow/pgvector';
import { createIndexer, REINDEX_LOCK } from '@winnow/pipeline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeEmbedder, loadText, paragraphChunker, source } from '../../pipeline/test/fakes.js';
import { EXIT, exitCodeFor } from '../src/exit-codes.js';

const DATABASE_URL = process.env.DATABASE_URL ?? '';
/** Another connection, as an operator's psql would be. */
let admin: SqlDriver;
const stores: PgVectorStore[] = [];

beforeAll(async () => {
  admin = createPgDriver({ url: DATABASE_URL, maxConnections: 1 });
});

afterEach(async () => {
  for (const store of stores.splice(0)) {
    await store.drop();
    await store.close();
  }
});

afterAll(async () => {
  await admin?.close();
});

async function openStore(): Promise<{ store: PgVectorStore; collection: string }> {
  const collection = `lock_lost_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const store = await openPgVectorStore({
    driver: 'postgres',
    url: DATABASE_URL,
    collection,
    modelId: 'fake-embedder',
    dimensions: 2,
  });
  stores.push(store);
  return { store, collection };
}

/** The key pgvector's advisoryKey gives the collection's reindex lock (same hash, kept here to find its holder). */
function reindexKey(collection: string): string {
  const high = BigInt(`0x${sha256Hex(`winnow:${collection}.${REINDEX_LOCK}`).slice(0, 16)}`);
  return BigInt.asIntN(64, high).toString();
}

/** Ends the session holding the reindex lock, as an operator or a failover would, and waits until it is gone. */
async function terminateLockHolder(collection: string): Promise<void> {
  const { rows } = await admin.query<{ pid: number }>(
    `select pid from pg_locks where locktype = 'advisory' and granted and objsubid = 1
       and ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
    [reindexKey(collection)],
  );
  const pid = rows[0]?.pid;
  expect(pid, 'the run holds its lock').toBeTypeOf('number');
  await admin.query('select pg_terminate_backend($1)', [pid]);
  for (let i = 0; i < 200; i++) {
    const alive = await admin.query('select 1 from pg_stat_activity where pid = $1', [pid]);
    if (alive.rowCount === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`backend ${pid} did not end`);
}

const docs = ['a', 'b', 'c', 'd', 'e'].map((id) => source(id, `text of ${id}\n\nsecond paragraph of ${id}`));

function indexer(store: PgVectorStore, beforeEmbedding?: (texts: readonly string[]) => Promise<void>) {
  const embedder = fakeEmbedder();
  const embed = embedder.embed.bind(embedder);
  return createIndexer({
    loaders: loadText,
    chunker: paragraphChunker(),
    embedder: {
      ...embedder,
      async embed(texts, options) {
        await beforeEmbedding?.(texts);
        return embed(texts, options);
      },
    },
    store,
    // One document per batch, so each is embedded and written before the next one starts.
    embedBatchChunks: 1,
  });
}

async function rejection(promise: Promise<unknown>): Promise<WinnowError> {
  try {
    await promise;
  } catch (error) {
    return error as WinnowError;
  }
  throw new Error('expected the run to fail');
}

describe('reindex lock lost mid-run (PostgreSQL server)', () => {
  it('stops with E_LOCK_LOST before the next write and keeps what it wrote', async () => {
    const { store, collection } = await openStore();
    const run = indexer(store, async (texts) => {
      if (texts.some((t) => t.includes('of c'))) await terminateLockHolder(collection);
    }).run(docs, { deleteMissing: true });

    const error = await rejection(run);
    expect(error.code).toBe('E_LOCK_LOST');
    expect(error.details?.written).toEqual({ added: ['a', 'b'], changed: [], deleted: [] });
    expect(exitCodeFor('E_LOCK_LOST')).toBe(EXIT.database);
    // a and b are whole; c, d and e were never written.
    expect((await store.listDocuments()).map((d) => d.id)).toEqual(['a', 'b']);
    expect(await store.counts()).toEqual({ documents: 2, chunks: 4 });
    // The lock really is free: a second run takes it and finishes the job.
    const report = await indexer(store).run(docs, { deleteMissing: true });
    expect(report.added).toEqual(['c', 'd', 'e']);
    expect(report.unchanged).toBe(2);
  });

  it('checks the lock before deleting: a run that lost it deletes nothing', async () => {
    const { store, collection } = await openStore();
    await indexer(store).run(docs, { deleteMissing: true });
    async function* sourcesThenTerminate(): AsyncGenerator<SourceItem> {
      yield* docs.slice(0, 3);
      await terminateLockHolder(collection);
    }
    const error = await rejection(indexer(store).run(sourcesThenTerminate(), { deleteMissing: true }));
    expect(error.code).toBe('E_LOCK_LOST');
    expect(error.details?.written).toEqual({ added: [], changed: [], deleted: [] });
    expect(await store.counts()).toEqual({ documents: 5, chunks: 10 });
  });

  it('a run that keeps its lock writes and deletes as before', async () => {
    const { store } = await openStore();
    const first = await indexer(store).run(docs, { deleteMissing: true });
    expect(first.added).toEqual(['a', 'b', 'c', 'd', 'e']);
    const changed = [source('a', 'new text of a'), ...docs.slice(1, 4)];
    const second = await indexer(store).run(changed, { deleteMissing: true });
    expect(second).toMatchObject({ changed: ['a'], deleted: ['e'], unchanged: 3, failures: [] });
    expect(await store.counts()).toEqual({ documents: 4, chunks: 7 });
  });
});
