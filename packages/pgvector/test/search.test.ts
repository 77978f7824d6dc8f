import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgVectorStore, type PgVectorStore } from '../src/index.js';
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
} from './helpers.js';

const DIMENSIONS = 384;
const ROWS = 2_000;

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/** Exact top-k by cosine (the vectors are unit length, so by dot product), computed here. */
function exactTopK(
  vectors: Float32Array[],
  query: Float32Array,
  k: number,
  keep: (i: number) => boolean = () => true,
): number[] {
  return vectors
    .map((vector, i) => ({ i, score: dot(vector, query) }))
    .filter(({ i }) => keep(i))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map(({ i }) => i);
}

describe.each(DATABASES)('search on %s', (name) => {
  let db: DatabaseUnderTest;
  const stores = new StoreTracker(() => db);
  let big: PgVectorStore;
  const next = random(42);
  const vectors = Array.from({ length: ROWS }, () => randomVector(next, DIMENSIONS));
  /** Every 20th row is 'rare': a filter matching 5% of the rows. */
  const isRare = (i: number): boolean => i % 20 === 7;

  beforeAll(async () => {
    db = await openDatabase(name);
    big = await stores.open({ dimensions: DIMENSIONS, deferIndex: true });
    const writes = [];
    for (let d = 0; d < ROWS / 10; d++) {
      writes.push(
        documentWrite(
          `doc-${d}`,
          Array.from({ length: 10 }, (_, o) => {
            const i = d * 10 + o;
            return {
              text: `row ${i}`,
              embedding: vectors[i] as Float32Array,
              metadata: { bucket: isRare(i) ? 'rare' : 'common' },
            };
          }),
        ),
      );
    }
    await big.replaceDocuments(writes);
    await big.buildIndex();
  });
  afterAll(async () => {
    await stores.dropAll();
    await db.close();
  });

  const rowOf = (ordinal: number, documentId: string): number => Number(documentId.slice(4)) * 10 + ordinal;

  it('finds the exact nearest neighbour through the HNSW index, best first with ranks', async () => {
    const query = vectors[777] as Float32Array;
    const hits = await big.search({ mode: 'dense', k: 10, vector: query, efSearch: 100 });
    expect(hits).toHaveLength(10);
    expect(rowOf(hits[0]?.chunk.ordinal as number, hits[0]?.chunk.documentId as string)).toBe(777);
    expect(hits[0]?.scores.dense).toBeCloseTo(1, 5);
    expect(hits.map((hit) => hit.ranks.dense)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const scores = hits.map((hit) => hit.scores.dense as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(hits[0]?.document?.id).toBe('doc-77');
    // Approximate search agrees with exact search on most of the top 10 (recall is measured in the benchmark).
    const exact = new Set(exactTopK(vectors, query, 10));
    const found = hits.filter((hit) => exact.has(rowOf(hit.chunk.ordinal, hit.chunk.documentId))).length;
    expect(found).toBeGreaterThanOrEqual(7);
  });

  it('returns k rows for a filter matching 5% thanks to the iterative index scan (and fewer without)', async () => {
    const query = randomVector(random(9), DIMENSIONS);
    const filter = { field: 'metadata.bucket', op: 'eq', value: 'rare' } as const;
    const plain = await openPgVectorStore({ driver: db.driver, collection: big.collection, iterativeScan: 'off' });
    const without = await plain.search({ mode: 'dense', k: 10, vector: query, efSearch: 40, filter });
    expect(without.length).toBeLessThan(10);
    const hits = await big.search({ mode: 'dense', k: 10, vector: query, efSearch: 40, filter });
    expect(hits).toHaveLength(10);
    expect(hits.every((hit) => hit.chunk.metadata.bucket === 'rare')).toBe(true);
    const exact = new Set(exactTopK(vectors, query, 10, isRare));
    const found = hits.filter((hit) => exact.has(rowOf(hit.chunk.ordinal, hit.chunk.documentId))).length;
    expect(found).toBeGreaterThanOrEqual(7);
    // Hybrid search gets the same treatment on its dense side.
    const hybrid = await big.search({ mode: 'hybrid', k: 10, vector: query, text: 'row', efSearch: 40, filter });
    expect(hybrid).toHaveLength(10);
  });

  it('matches brute force exactly with exact: true, for every metric', async () => {
    const query = randomVector(random(10), DIMENSIONS);
    const hits = await big.search({ mode: 'dense', k: 10, vector: query, exact: true });
    expect(hits.map((hit) => rowOf(hit.chunk.ordinal, hit.chunk.documentId))).toEqual(exactTopK(vectors, query, 10));
    const filter = { field: 'metadata.bucket', op: 'eq', value: 'rare' } as const;
    const filtered = await big.search({ mode: 'dense', k: 10, vector: query, exact: true, filter });
    expect(filtered.map((hit) => rowOf(hit.chunk.ordinal, hit.chunk.documentId))).toEqual(
      exactTopK(vectors, query, 10, isRare),
    );

    for (const metric of ['inner_product', 'l2'] as const) {
      const store = await stores.open({ metric });
      await store.replaceDocuments([
        documentWrite('m', [
          { text: 'a', embedding: axis(8, 0, 3) },
          { text: 'b', embedding: axis(8, 0, 1) },
          { text: 'c', embedding: axis(8, 1, 2) },
        ]),
      ]);
      const ranked = await store.search({ mode: 'dense', k: 3, vector: axis(8, 0, 2) });
      const scores = ranked.map((hit) => [hit.chunk.text, Number((hit.scores.dense as number).toFixed(4))]);
      // inner product: 6, 2, 0; l2: -1, -1 (tie, by id), -2.8284
      if (metric === 'inner_product')
        expect(scores).toEqual([
          ['a', 6],
          ['b', 2],
          ['c', 0],
        ]);
      else expect(scores.map(([, score]) => score)).toEqual([-1, -1, -2.8284]);
    }
  });

  describe('lexical and hybrid', () => {
    let store: PgVectorStore;
    beforeAll(async () => {
      store = await stores.open();
      await store.replaceDocuments([
        documentWrite('docs', [
          { text: 'PostgreSQL stores vectors with the pgvector extension', embedding: axis(8, 0) },
          { text: 'Vector databases index embeddings for nearest neighbour search', embedding: axis(8, 1) },
          { text: 'Reciprocal rank fusion merges ranked lists', embedding: axis(8, 2) },
          { text: 'Cats sleep most of the day', embedding: axis(8, 3) },
          { text: 'A database of cat pictures is not a vector database', embedding: axis(8, 4) },
        ]),
      ]);
    });

    it('ranks by BM25 with stemming, and takes web-search syntax when asked for', async () => {
      // A plain question matches any of its terms: chunks with both terms first, then chunk 0 ('vectors' only).
      const hits = await store.search({ mode: 'lexical', k: 5, text: 'vector database' });
      expect(hits.map((hit) => hit.chunk.ordinal)).toEqual([4, 1, 0]);
      expect(hits[0]?.ranks.lexical).toBe(1);
      expect(hits[0]?.scores.lexical as number).toBeGreaterThan(hits[1]?.scores.lexical as number);
      expect(hits[0]?.scores.dense).toBeUndefined();
      const excluded = await store.search({ mode: 'lexical', k: 5, text: 'vector -cat', lexicalSyntax: 'websearch' });
      expect(excluded.map((hit) => hit.chunk.ordinal).sort()).toEqual([0, 1]);
      const phrase = await store.search({ mode: 'lexical', k: 5, text: '"rank fusion"', lexicalSyntax: 'websearch' });
      expect(phrase.map((hit) => hit.chunk.ordinal)).toEqual([2]);
      expect(await store.search({ mode: 'lexical', k: 5, text: 'the of a' })).toEqual([]);
      expect((await caught(() => store.search({ mode: 'lexical', k: 5, text: '   ' }))).code).toBe('E_EMPTY_QUERY');
    });

    it('fuses dense and lexical ranks by weighted reciprocal rank in one statement', async () => {
      const query = new Float32Array([0.1, 0.2, 0.9, 0, 0, 0, 0, 0.3]);
      const hits = await store.search({
        mode: 'hybrid',
        k: 5,
        vector: query,
        text: 'vector database',
        rrfK: 10,
        denseWeight: 2,
        lexicalWeight: 1,
      });
      expect(hits).toHaveLength(5);
      for (const hit of hits) {
        const dense = hit.ranks.dense === undefined ? 0 : 2 / (10 + hit.ranks.dense);
        const lexical = hit.ranks.lexical === undefined ? 0 : 1 / (10 + hit.ranks.lexical);
        expect(hit.scores.fused).toBeCloseTo(dense + lexical, 12);
      }
      expect(hits.map((hit) => hit.ranks.fused)).toEqual([1, 2, 3, 4, 5]);
      const fused = hits.map((hit) => hit.scores.fused as number);
      expect([...fused].sort((a, b) => b - a)).toEqual(fused);
      // Chunk 2 is first by vector only, chunk 4 first lexically; chunk 1, second in both lists, wins with
      // 2/12 + 1/12. Then chunk 4 (2/14 + 1/11) edges out chunk 0 (2/13 + 1/13), and chunk 2 (2/11) follows.
      expect(hits.find((hit) => hit.chunk.ordinal === 4)?.ranks.lexical).toBe(1);
      expect(hits.find((hit) => hit.chunk.ordinal === 2)?.ranks.dense).toBe(1);
      expect(hits.map((hit) => hit.chunk.ordinal).slice(0, 4)).toEqual([1, 4, 0, 2]);
      // With the lexical side weighted to zero the order is the dense order.
      const denseOnly = await store.search({
        mode: 'hybrid',
        k: 5,
        vector: query,
        text: 'vector database',
        lexicalWeight: 0,
      });
      const dense = await store.search({ mode: 'dense', k: 5, vector: query });
      expect(denseOnly.map((hit) => hit.chunk.id)).toEqual(dense.map((hit) => hit.chunk.id));
    });

    it('validates the request', async () => {
      expect((await caught(() => store.search({ mode: 'hybrid', k: 5, vector: axis(8, 0) }))).code).toBe(
        'E_EMPTY_QUERY',
      );
      expect((await caught(() => store.search({ mode: 'dense', k: 0, vector: axis(8, 0) }))).code).toBe(
        'E_CONFIG_INVALID',
      );
      expect((await caught(() => store.search({ mode: 'dense', k: 5 }))).code).toBe('E_CONFIG_INVALID');
      expect((await caught(() => store.search({ mode: 'dense', k: 5, vector: axis(8, 0), efSearch: 5000 }))).code).toBe(
        'E_CONFIG_INVALID',
      );
      expect((await caught(() => store.search({ mode: 'dense', k: 5, vector: axis(8, 0, Number.NaN) }))).code).toBe(
        'E_VECTOR_INVALID',
      );
      expect(
        (await caught(() => store.search({ mode: 'hybrid', k: 5, vector: axis(8, 0), text: 'x', rrfK: 0 }))).code,
      ).toBe('E_CONFIG_INVALID');
    });
  });

  it('re-ranks dense results by maximal marginal relevance', async () => {
    const store = await stores.open();
    // Three near-duplicates (cosine 0.9 to the query) and one slightly less relevant (0.85) but different chunk.
    const near = (noise: number): Float32Array => new Float32Array([0.9, 0.4359, noise, 0, 0, 0, 0, 0]);
    await store.replaceDocuments([
      documentWrite('mmr', [
        { text: 'dup a', embedding: near(0.01) },
        { text: 'dup b', embedding: near(0.02) },
        { text: 'dup c', embedding: near(0.03) },
        { text: 'different', embedding: new Float32Array([0.85, -0.5268, 0, 0, 0, 0, 0, 0]) },
        { text: 'far', embedding: axis(8, 5) },
      ]),
    ]);
    const query = axis(8, 0);
    const dense = await store.search({ mode: 'dense', k: 3, vector: query });
    expect(dense.map((hit) => hit.chunk.text)).toEqual(['dup a', 'dup b', 'dup c']);
    const diverse = await store.search({ mode: 'dense', k: 3, vector: query, mmr: { lambda: 0.5 } });
    expect(diverse.map((hit) => hit.chunk.text).slice(0, 2)).toEqual(['dup a', 'different']);
    expect(diverse[1]?.ranks.dense).toBe(4);
    const relevance = await store.search({ mode: 'dense', k: 3, vector: query, mmr: { lambda: 1 } });
    expect(relevance.map((hit) => hit.chunk.id)).toEqual(dense.map((hit) => hit.chunk.id));
    const bad = await caught(() => store.search({ mode: 'dense', k: 3, vector: query, mmr: { lambda: 2 } }));
    expect(bad.code).toBe('E_CONFIG_INVALID');
    const hybrid = await caught(() =>
      store.search({ mode: 'hybrid', k: 3, vector: query, text: 'dup', mmr: { lambda: 0.5 } }),
    );
    expect(hybrid.field).toBe('mmr');
  });
});
