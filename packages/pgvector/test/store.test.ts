import { isWinnowError } from '@winnow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, openPgVectorStore } from '../src/index.js';
import {
  axis,
  caught,
  DATABASES,
  type DatabaseUnderTest,
  documentWrite,
  openDatabase,
  random,
  randomVector,
  StoreTracker,
  uniqueCollection,
} from './helpers.js';

describe.each(DATABASES)('store on %s', (name) => {
  let db: DatabaseUnderTest;
  const stores = new StoreTracker(() => db);
  beforeAll(async () => {
    db = await openDatabase(name);
  });
  afterAll(async () => {
    await stores.dropAll();
    await db.close();
  });

  it('creates the schema by versioned migrations and reopens without re-applying them', async () => {
    const collection = uniqueCollection();
    const first = await openPgVectorStore({ driver: db.driver, collection, modelId: 'm', dimensions: 8 });
    const { rows } = await db.driver.query<{ version: number }>(
      `select version from "${collection}_migrations" order by version`,
    );
    expect(rows.map((row) => row.version)).toEqual(MIGRATIONS.map((m) => m.version));
    // Lexical recall reads the BM25 postings (migration 4); the tsv GIN index is gone (migration 6).
    const { rows: indexes } = await db.driver.query<{ name: string }>(
      `select indexname as name from pg_indexes where tablename = $1 order by indexname`,
      [`${collection}_chunks`],
    );
    expect(indexes.map((index) => index.name)).not.toContain(`${collection}_chunks_tsv_idx`);
    expect(indexes.map((index) => index.name)).toContain(`${collection}_chunks_hash_idx`);
    // Reopening without model or dimensions adopts the collection's own.
    const again = await openPgVectorStore({ driver: db.driver, collection });
    expect([again.modelId, again.dimensions, again.metric, again.vectorType]).toEqual(['m', 8, 'cosine', 'vector']);
    expect(again.pgvectorVersion).toMatch(/^0\.[89]|^[1-9]/);
    await first.drop();
  });

  it('refuses another model id or dimension with E_DIMENSION_MISMATCH naming both', async () => {
    const store = await stores.open({ modelId: 'all-MiniLM-L6-v2@q8', dimensions: 8 });
    const otherModel = await caught(() =>
      openPgVectorStore({ driver: db.driver, collection: store.collection, modelId: 'bge-small@fp32', dimensions: 8 }),
    );
    expect(isWinnowError(otherModel, 'E_DIMENSION_MISMATCH')).toBe(true);
    expect(otherModel.message).toContain('all-MiniLM-L6-v2@q8 (8 dimensions)');
    expect(otherModel.message).toContain('bge-small@fp32 (8 dimensions)');
    const otherSize = await caught(() =>
      openPgVectorStore({
        driver: db.driver,
        collection: store.collection,
        modelId: 'all-MiniLM-L6-v2@q8',
        dimensions: 768,
      }),
    );
    expect(otherSize.code).toBe('E_DIMENSION_MISMATCH');
    expect(otherSize.message).toMatch(/8 dimensions.*768 dimensions/);
    // Writing or querying a vector of another size is refused too, naming the chunk / the query.
    const write = await caught(() =>
      store.replaceDocuments([documentWrite('a', [{ text: 'x', embedding: new Float32Array(4) }])]),
    );
    expect(write.code).toBe('E_DIMENSION_MISMATCH');
    expect(write.message).toContain('chunk 0');
    expect(write.message).toContain('document a');
    const query = await caught(() => store.search({ mode: 'dense', k: 1, vector: new Float32Array(768) }));
    expect(query.code).toBe('E_DIMENSION_MISMATCH');
    expect(query.message).toMatch(/768 dimensions.*stores 8 \(model all-MiniLM-L6-v2@q8\)/);
    // A different metric is a different collection, not silently another scoring.
    const metric = await caught(() =>
      openPgVectorStore({ driver: db.driver, collection: store.collection, metric: 'l2' }),
    );
    expect(metric.code).toBe('E_CONFIG_INVALID');
  });

  it('rejects invalid collection names before any SQL', async () => {
    for (const collection of ['Bad', 'x; drop table y', '1abc', 'a'.repeat(41), 'a"b']) {
      const error = await caught(() =>
        openPgVectorStore({ driver: db.driver, collection, modelId: 'm', dimensions: 8 }),
      );
      expect(error.code).toBe('E_CONFIG_INVALID');
      expect(error.message).toContain('store.collection');
    }
  });

  it('upserts documents and replaces their chunks; deletes cascade', async () => {
    const store = await stores.open();
    await store.replaceDocuments([
      documentWrite(
        'a',
        [
          { text: 'alpha one', embedding: axis(8, 0) },
          { text: 'alpha two', embedding: axis(8, 1) },
          { text: 'alpha three', embedding: axis(8, 2) },
        ],
        { title: 'A', metadata: { lang: 'en' } },
      ),
      documentWrite('b', [{ text: 'beta one', embedding: axis(8, 3) }]),
    ]);
    expect(await store.counts()).toEqual({ documents: 2, chunks: 4 });
    const before = await db.driver.query<{ created_at: Date; updated_at: Date }>(
      `select created_at, updated_at from "${store.collection}_documents" where id = 'a'`,
    );

    // Version 2 of document a has fewer chunks, a new title and new metadata.
    const v2 = documentWrite('a', [{ text: 'alpha renewed', embedding: axis(8, 4) }], {
      title: 'A2',
      metadata: { lang: 'de' },
    });
    await store.replaceDocuments([v2]);
    expect(await store.counts()).toEqual({ documents: 2, chunks: 2 });
    expect([...(await store.chunkHashes('a')).values()]).toEqual([v2.chunks[0]?.hash]);
    const documents = await store.listDocuments();
    expect(documents.map((d) => [d.id, d.title, d.metadata])).toEqual([
      ['a', 'A2', { lang: 'de' }],
      ['b', undefined, {}],
    ]);
    const after = await db.driver.query<{ created_at: Date; updated_at: Date }>(
      `select created_at, updated_at from "${store.collection}_documents" where id = 'a'`,
    );
    expect(new Date(after.rows[0]?.created_at as Date).getTime()).toBe(
      new Date(before.rows[0]?.created_at as Date).getTime(),
    );
    expect(new Date(after.rows[0]?.updated_at as Date).getTime()).toBeGreaterThanOrEqual(
      new Date(before.rows[0]?.updated_at as Date).getTime(),
    );
    expect(await store.documentHashes()).toEqual(
      new Map([
        ['a', v2.document.contentHash],
        ['b', documents[1]?.contentHash],
      ]),
    );

    expect(await store.deleteDocuments(['b', 'missing'])).toBe(1);
    expect(await store.counts()).toEqual({ documents: 1, chunks: 1 });
    expect(await store.chunkHashes('b')).toEqual(new Map());
  });

  it.each([
    ['COPY', true],
    ['INSERT', false],
  ])('keeps the previous version intact when a write (%s) fails midway, naming the bad chunk', async (_, copy) => {
    // With INSERT, 2 rows per statement: chunks 0–3 are already in the table when chunk 4 fails.
    const store = await stores.open({ maxChunksPerTransaction: 1_000, insertRowsPerStatement: 2, copy });
    const next = random(7);
    const v1 = documentWrite(
      'doc',
      Array.from({ length: 6 }, (_, i) => ({ text: `old ${i}`, embedding: randomVector(next, 8) })),
    );
    await store.replaceDocuments([v1]);

    // A NaN in chunk 4 of 8: earlier rows were already sent inside the transaction when it fails.
    const nan = documentWrite(
      'doc',
      Array.from({ length: 8 }, (_, i) => ({ text: `new ${i}`, embedding: randomVector(next, 8) })),
    );
    (nan.chunks[4]?.embedding as Float32Array)[3] = Number.NaN;
    const nanError = await caught(() => store.replaceDocuments([nan]));
    expect(nanError.code).toBe('E_VECTOR_INVALID');
    expect(nanError.message).toContain(`chunk 4 (${nan.chunks[4]?.id}) of document doc`);
    expect(nanError.message).toContain('NaN at position 3');

    // A wrong dimension in the middle, and Infinity.
    const short = documentWrite(
      'doc',
      Array.from({ length: 8 }, (_, i) => ({ text: `new ${i}`, embedding: randomVector(next, i === 5 ? 7 : 8) })),
    );
    const shortError = await caught(() => store.replaceDocuments([short]));
    expect(shortError.code).toBe('E_DIMENSION_MISMATCH');
    expect(shortError.message).toContain('chunk 5');
    const infinite = documentWrite('doc', [{ text: 'x', embedding: axis(8, 1, Number.POSITIVE_INFINITY) }]);
    expect((await caught(() => store.replaceDocuments([infinite]))).code).toBe('E_VECTOR_INVALID');

    // A failure only the database sees: two chunks with the same ordinal violate unique (document_id, ordinal).
    const duplicate = documentWrite(
      'doc',
      Array.from({ length: 5 }, (_, i) => ({ text: `dup ${i}`, embedding: randomVector(next, 8) })),
    );
    (duplicate.chunks[3] as { ordinal: number }).ordinal = 1;
    const dbError = await caught(() => store.replaceDocuments([duplicate]));
    expect(dbError.code).toBe('E_DB_QUERY');
    expect(dbError.message).toMatch(/document_id, ordinal/);

    // After all that, version 1 is exactly as it was.
    expect(await store.counts()).toEqual({ documents: 1, chunks: 6 });
    expect([...(await store.chunkHashes('doc')).values()]).toEqual(v1.chunks.map((c) => c.hash));
    expect((await store.listDocuments())[0]?.contentHash).toBe(v1.document.contentHash);
    const stored = await store.embeddingsByHash(v1.chunks.map((c) => c.hash));
    for (const chunk of v1.chunks) expect(stored.get(chunk.hash)).toEqual(chunk.embedding);
  });

  it('commits earlier transactions of a call and rolls back only the failing group', async () => {
    const store = await stores.open({ maxChunksPerTransaction: 2 });
    const writes = ['d1', 'd2', 'd3'].map((id, i) =>
      documentWrite(id, [
        { text: id, embedding: axis(8, i) },
        { text: `${id}b`, embedding: axis(8, i + 1) },
      ]),
    );
    (writes[2]?.chunks[1]?.embedding as Float32Array)[0] = Number.NaN;
    const error = await caught(() => store.replaceDocuments(writes));
    expect(error.message).toContain('document d3');
    expect((await store.listDocuments()).map((d) => d.id)).toEqual(['d1', 'd2']);
    expect(await store.counts()).toEqual({ documents: 2, chunks: 4 });
  });

  it('stores text, heading paths, provenance and metadata exactly, through COPY and INSERT alike', async () => {
    const awkward =
      'tab\there, newline\nhere, CR\r, backslash \\ and \\N, quotes \' " and ; -- drop table x; ünïcødé 😀';
    const headings = ['Quote "q"', 'braces {a,b}', 'NULL', 'back\\slash', '', 'comma, here'];
    for (const copy of [true, false]) {
      const store = await stores.open({ copy });
      const write = documentWrite(
        'weird/päth "1".md',
        [
          {
            text: awkward,
            embedding: axis(8, 0),
            headingPath: headings,
            metadata: { nested: { list: [1, 'two', null], ok: true } },
            page: 3,
            pages: [3, 4],
          },
          { text: 'second', embedding: axis(8, 1) },
        ],
        { title: 'T "x"', metadata: { author: "O'Brien" } },
      );
      write.chunks[1] = { ...(write.chunks[1] as (typeof write.chunks)[number]), embedText: 'Title > second' };
      await store.replaceDocuments([write]);
      const [hit] = await store.search({ mode: 'dense', k: 1, vector: axis(8, 0) });
      const { embedding: _embedding, ...expected } = write.chunks[0] as (typeof write.chunks)[number];
      expect(hit?.chunk).toEqual(expected);
      expect(hit?.document).toEqual(write.document);
      const [second] = await store.search({ mode: 'dense', k: 1, vector: axis(8, 1) });
      expect(second?.chunk.embedText).toBe('Title > second');
    }
  });

  it('returns stored embeddings by text hash bit-exactly (float32 round trip)', async () => {
    const store = await stores.open({ dimensions: 64 });
    const next = random(11);
    const chunks = Array.from({ length: 50 }, (_, i) => {
      const embedding = randomVector(next, 64).map((value, j) =>
        j % 7 === 0 ? value * 1e-30 : j % 11 === 0 ? value * 1e20 : value,
      );
      return { text: `chunk number ${i}`, embedding };
    });
    const write = documentWrite('d', chunks);
    await store.replaceDocuments([write]);
    const found = await store.embeddingsByHash([
      ...write.chunks.map((c) => c.hash),
      'unknown-hash',
      write.chunks[0]?.hash as string,
    ]);
    expect(found.size).toBe(50);
    for (const chunk of write.chunks) expect(found.get(chunk.hash)).toEqual(chunk.embedding);
  });

  it('honours an aborted signal before writing anything', async () => {
    const store = await stores.open();
    const controller = new AbortController();
    controller.abort();
    const error = await caught(() =>
      store.replaceDocuments([documentWrite('a', [{ text: 'x', embedding: axis(8, 0) }])], {
        signal: controller.signal,
      }),
    );
    expect(error.code).toBe('E_ABORTED');
    expect(await store.counts()).toEqual({ documents: 0, chunks: 0 });
  });

  it('builds the vector index after the first load unless deferred, and on buildIndex()', async () => {
    const auto = await stores.open();
    expect((await auto.indexStatus()).exists).toBe(false);
    await auto.replaceDocuments([documentWrite('a', [{ text: 'x', embedding: axis(8, 0) }])]);
    const status = await auto.indexStatus();
    expect(status.exists).toBe(true);
    expect(status.definition).toMatch(/hnsw \(embedding vector_cosine_ops\) WITH \(m='16', ef_construction='128'\)/);

    const deferred = await stores.open({
      deferIndex: true,
      index: { type: 'hnsw', m: 8, efConstruction: 32 },
      metric: 'l2',
    });
    await deferred.replaceDocuments([documentWrite('a', [{ text: 'x', embedding: axis(8, 0) }])]);
    expect((await deferred.indexStatus()).exists).toBe(false);
    const built = await deferred.buildIndex();
    expect(built.built).toBe(true);
    expect(built.definition).toMatch(/vector_l2_ops\) WITH \(m='8', ef_construction='32'\)/);
    expect((await deferred.buildIndex()).built).toBe(false);

    const ivf = await stores.open({ deferIndex: true, index: { type: 'ivfflat' }, metric: 'inner_product' });
    const next = random(3);
    await ivf.replaceDocuments([
      documentWrite(
        'a',
        Array.from({ length: 30 }, (_, i) => ({ text: `t${i}`, embedding: randomVector(next, 8) })),
      ),
    ]);
    const ivfBuilt = await ivf.buildIndex();
    expect(ivfBuilt.lists).toBe(1);
    expect(ivfBuilt.definition).toMatch(/ivfflat \(embedding vector_ip_ops\) WITH \(lists='1'\)/);
    const rebuilt = await ivf.buildIndex({ rebuild: true });
    expect(rebuilt.built).toBe(true);

    const none = await stores.open({ index: { type: 'none' } });
    await none.replaceDocuments([documentWrite('a', [{ text: 'x', embedding: axis(8, 0) }])]);
    expect((await none.indexStatus()).exists).toBe(false);
  });

  it('stores vectors over 2,000 dimensions as halfvec with an HNSW index', async () => {
    const store = await stores.open({ dimensions: 2048 });
    expect(store.vectorType).toBe('halfvec');
    const next = random(5);
    const vectors = Array.from({ length: 20 }, () => randomVector(next, 2048));
    await store.replaceDocuments([
      documentWrite(
        'big',
        vectors.map((embedding, i) => ({ text: `t${i}`, embedding })),
      ),
    ]);
    const status = await store.indexStatus();
    expect(status.definition).toContain('halfvec_cosine_ops');
    const [hit] = await store.search({ mode: 'dense', k: 1, vector: vectors[13] as Float32Array });
    expect(hit?.chunk.ordinal).toBe(13);
    expect(hit?.scores.dense).toBeCloseTo(1, 3);
    // Half precision by binary COPY (converted here) equals the server's own conversion of the same text.
    const tricky = new Float32Array(2048).map((_, i) => {
      const specials = [
        1,
        -3,
        65504,
        65519.99,
        2 ** -24,
        2 ** -25,
        3 * 2 ** -25,
        1 + 2 ** -11,
        1 + 3 * 2 ** -11,
        0.1,
        -1e-9,
      ];
      return specials[i % specials.length] as number;
    });
    const viaCopy = await stores.open({ dimensions: 2048, index: { type: 'none' } });
    const viaInsert = await stores.open({ dimensions: 2048, index: { type: 'none' }, copy: false });
    for (const target of [viaCopy, viaInsert]) {
      await target.replaceDocuments([documentWrite('h', [{ text: 'tricky', embedding: tricky }])]);
    }
    const stored = await Promise.all(
      [viaCopy, viaInsert].map(
        async (target) =>
          (await db.driver.query<{ e: string }>(`select embedding::text as e from "${target.collection}_chunks"`))
            .rows[0]?.e,
      ),
    );
    const [copied, inserted] = stored.map((text) => JSON.parse(text as string) as number[]);
    const differing = (copied ?? []).flatMap((value, i) =>
      value === inserted?.[i] ? [] : [[i, value, inserted?.[i]]],
    );
    expect(differing).toEqual([]);
    // pgvector prints the shortest text of each value as float32.
    expect(copied?.slice(0, 11).map(Math.fround)).toEqual(
      [1, -3, 65504, 65504, 2 ** -24, 0, 2 ** -23, 1, 1 + 2 ** -9, 0.099975586, -0].map(Math.fround),
    );
    const overflow = await caught(() =>
      viaCopy.replaceDocuments([documentWrite('h', [{ text: 'too big', embedding: axis(2048, 3, 65520) }])]),
    );
    expect(overflow.code).toBe('E_VECTOR_INVALID');
    expect(overflow.message).toContain('out of range for half precision');
    const tooBig = await caught(() => stores.open({ dimensions: 4096 }));
    expect(tooBig.code).toBe('E_CONFIG_INVALID');
    expect(tooBig.message).toContain('store.index.type');
  });
});

describe('store on postgres only', () => {
  it('lets concurrent openers of a new collection race safely (advisory lock around migrations)', async () => {
    const db = await openDatabase('postgres');
    const collection = uniqueCollection();
    const drivers = await Promise.all([db.another(), db.another(), db.another()]);
    try {
      const opened = await Promise.all(
        drivers.map((driver) => openPgVectorStore({ driver, collection, modelId: 'm', dimensions: 8 })),
      );
      expect(new Set(opened.map((store) => store.modelId))).toEqual(new Set(['m']));
      const { rows } = await db.driver.query<{ n: number }>(
        `select count(*)::int as n from "${collection}_migrations"`,
      );
      expect(rows[0]?.n).toBe(MIGRATIONS.length);
      await opened[0]?.drop();
    } finally {
      for (const driver of drivers) await driver.close();
      await db.close();
    }
  });

  it('reports an unreachable server as E_DB_CONNECT naming the setting', async () => {
    const error = await caught(() =>
      openPgVectorStore({ url: 'postgres://winnow:secret@127.0.0.1:1/none', modelId: 'm', dimensions: 8 }),
    );
    expect(error.code).toBe('E_DB_CONNECT');
    expect(error.message).toContain('store.url');
    expect(error.message).not.toContain('secret');
  });
});
