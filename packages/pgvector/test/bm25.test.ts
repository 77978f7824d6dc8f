import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BeirCorpus, documentWrites, readBeirCorpus } from '../bench/beir-corpus.js';
import { type LegacyRule, legacyLexicalSql } from '../bench/legacy-lexical.js';
import { type CollectionTables, collectionTables, openPgVectorStore, type PgVectorStore } from '../src/index.js';
import { lexicalBranchCount, MAX_TERM_BRANCHES } from '../src/search-sql.js';
import {
  axis,
  caught,
  DATABASES,
  type DatabaseUnderTest,
  documentWrite,
  openDatabase,
  random,
  StoreTracker,
} from './helpers.js';

/** The shared folder beside the clone, as CI lays it out (see .ci/run). */
const DATASETS = join(process.env.WINNOW_SHARED ?? join(import.meta.dirname, '../../../../shared'), 'datasets');

interface Scored {
  id: string;
  score: number;
}

/**
 * The new lexical hits must be the old formula's: the same chunks in the same order with scores within 1e-6.
 * A chunk may differ only where it ties (to 1e-9) with the last one a limit cut.
 */
function expectSameRanking(fresh: Scored[], reference: Scored[], query: string): void {
  expect(fresh.length, query).toBe(reference.length);
  const expected = new Map(reference.map((hit) => [hit.id, hit.score]));
  const last = reference.at(-1)?.score ?? 0;
  for (const [rank, hit] of fresh.entries()) {
    expect(Math.abs(hit.score - (reference[rank] as Scored).score), `${query} at rank ${rank + 1}`).toBeLessThan(1e-6);
    const want = expected.get(hit.id);
    if (want === undefined) expect(Math.abs(hit.score - last), `${query}: ${hit.id}`).toBeLessThan(1e-9);
    else expect(Math.abs(hit.score - want), `${query}: ${hit.id}`).toBeLessThan(1e-6);
  }
}

/** Differences between the maintained statistics and the same figures recomputed from the chunks' tsvectors. */
async function statisticsDrift(store: PgVectorStore, tables: CollectionTables): Promise<Record<string, number>> {
  const b = tables.bm25;
  const c = tables.chunks;
  const postings = `select p.lexeme, n.chunk_id, p.tf::int, p.len from ${b.postings} p left join ${b.chunks} n using (chunk_no)`;
  const recomputed = `select u.lexeme collate "C", c.id, coalesce(array_length(u.positions, 1), 1), greatest(length(c.tsv), 1)
    from ${c} c cross join lateral unnest(c.tsv) u`;
  const terms = `select lexeme, df from ${b.terms}`;
  const termsRecomputed = `select u.lexeme collate "C", count(*)::int from ${c} c cross join lateral unnest(c.tsv) u group by 1`;
  const lengths = `select chunk_id, length from ${b.chunks}`;
  const lengthsRecomputed = `select id, greatest(length(tsv), 1) from ${c}`;
  const { rows } = await store.driver.query<Record<string, number>>(
    `select
      (select count(*)::int from (${postings} except all ${recomputed}) x) as extra_postings,
      (select count(*)::int from (${recomputed} except all ${postings}) x) as missing_postings,
      (select count(*)::int from (${terms} except all ${termsRecomputed}) x) as extra_terms,
      (select count(*)::int from (${termsRecomputed} except all ${terms}) x) as missing_terms,
      (select count(*)::int from (${lengths} except all ${lengthsRecomputed}) x) as extra_lengths,
      (select count(*)::int from (${lengthsRecomputed} except all ${lengths}) x) as missing_lengths,
      (select chunks::int from ${b.stats}) - (select count(*)::int from ${c}) as chunk_count,
      (select total_length::int from ${b.stats}) - (select coalesce(sum(greatest(length(tsv), 1)), 0)::int from ${c})
        as total_length`,
  );
  return rows[0] as Record<string, number>;
}

const NO_DRIFT = {
  extra_postings: 0,
  missing_postings: 0,
  extra_terms: 0,
  missing_terms: 0,
  extra_lengths: 0,
  missing_lengths: 0,
  chunk_count: 0,
  total_length: 0,
};

describe.each(DATABASES)('BM25 from maintained statistics on %s', (name) => {
  let db: DatabaseUnderTest;
  const stores = new StoreTracker(() => db);
  beforeAll(async () => {
    db = await openDatabase(name);
  });
  afterAll(async () => {
    await stores.dropAll();
    await db.close();
  });

  /** A store holding `documents` (one chunk each), and a function running the old SQL over it. */
  async function corpusStore(documents: BeirCorpus['documents']) {
    const store = await stores.open({ index: { type: 'none' } });
    await store.replaceDocuments(documentWrites(documents, 8));
    const tables = collectionTables(store.collection);
    const legacy = async (text: string, k: number, rule: LegacyRule): Promise<Scored[]> =>
      (
        await store.driver.query<Scored>(legacyLexicalSql(tables, 'english', { text: '$1', limit: '$2' }, rule), [
          text,
          k,
        ])
      ).rows;
    const search = async (text: string, k: number, websearch = false): Promise<Scored[]> =>
      (await store.search({ mode: 'lexical', k, text, lexicalSyntax: websearch ? 'websearch' : 'plain' })).map(
        (hit) => ({ id: hit.chunk.id, score: hit.scores.lexical as number }),
      );
    return { store, tables, legacy, search };
  }

  it('scores every ADI query as the old formula did, to 1e-6, every match in the same order', async () => {
    const adi = readBeirCorpus(`${DATASETS}/adi`);
    const { search, legacy } = await corpusStore(adi.documents);
    expect(adi.queries).toHaveLength(35);
    for (const query of adi.queries) {
      const fresh = await search(query.text, 100);
      expect(fresh.length, query.text).toBeGreaterThan(0);
      expectSameRanking(fresh, await legacy(query.text, 100, 'any'), query.text);
    }
  });

  it('scores a query with more terms than postings branches by the general path, the same way', async () => {
    const adi = readBeirCorpus(`${DATASETS}/adi`);
    const { search, legacy } = await corpusStore(adi.documents);
    // Eight ADI queries in one text (under the 256 tokens a query keeps): more known terms than MAX_TERM_BRANCHES,
    // so the merged branches stand aside.
    const long = adi.queries
      .slice(0, 8)
      .map((query) => query.text)
      .join(' ');
    expect(lexicalBranchCount(long)).toBe(MAX_TERM_BRANCHES);
    const fresh = await search(long, 100);
    expect(fresh.length).toBeGreaterThan(60);
    expectSameRanking(fresh, await legacy(long, 100, 'any'), 'eight ADI queries');
    // Compounds give the parser more lexemes than the text has words ('e-mail' is 'e-mail', 'e' and 'mail'); a text
    // of no words gets no branch.
    for (const text of ['e-mail retrieval', 'computer-based indexing', '?!']) {
      expectSameRanking(await search(text, 100), await legacy(text, 100, 'any'), text);
    }
  });

  it('scores a random sample of SciFact queries as the old formula did, over a subset of the corpus', async () => {
    const scifact = readBeirCorpus(`${DATASETS}/scifact`);
    const next = random(14);
    const sample = [...scifact.queries].sort(() => next() - 0.5).slice(0, name === 'pglite' ? 8 : 20);
    // The sampled queries' relevant abstracts and the first ones of the corpus (PGlite writes ~300 a second).
    const wanted = new Set(sample.flatMap((query) => [...(scifact.relevant.get(query.id) ?? [])]));
    const size = name === 'pglite' ? 600 : 2_000;
    const documents = scifact.documents.filter((doc, i) => i < size || wanted.has(doc.id));
    const { search, legacy } = await corpusStore(documents);
    for (const query of sample) {
      expectSameRanking(await search(query.text, 50), await legacy(query.text, 50, 'any'), query.text);
    }
  });

  it('keeps the statistics exact through inserts, replaces, deletes, cascades, updates, truncation and rollbacks', async () => {
    const store = await stores.open({ index: { type: 'none' } });
    const tables = collectionTables(store.collection);
    const chunk = (text: string, i = 0) => ({ text, embedding: axis(8, i) });
    await store.replaceDocuments([
      documentWrite('a', [chunk('Apples and pears grow on trees', 0), chunk('Apple pie with apples', 1)]),
      documentWrite('b', [chunk('Pears, plums and apples in autumn', 2)]),
      documentWrite('c', [chunk('Vector databases store embeddings', 3), chunk('the of and', 4)]),
    ]);
    expect(await statisticsDrift(store, tables)).toEqual(NO_DRIFT);
    // A replace deletes a document's chunks and inserts the new ones in one transaction.
    await store.replaceDocuments([documentWrite('b', [chunk('Plums only'), chunk('Apples apples apples', 1)])]);
    expect(await statisticsDrift(store, tables)).toEqual(NO_DRIFT);
    // Deleting a document removes its chunks by ON DELETE CASCADE.
    expect(await store.deleteDocuments(['a'])).toBe(1);
    expect(await statisticsDrift(store, tables)).toEqual(NO_DRIFT);
    // Chunks changed by hand: a text update regenerates the tsvector; a metadata update leaves it.
    await store.driver.query(
      `update ${tables.chunks} set text = 'Embeddings of pears' where ordinal = 0 and document_id = 'c'`,
    );
    await store.driver.query(`update ${tables.chunks} set metadata = '{"tag": 1}'`);
    await store.driver.query(`delete from ${tables.chunks} where document_id = 'b' and ordinal = 1`);
    expect(await statisticsDrift(store, tables)).toEqual(NO_DRIFT);
    const before = await statisticsDrift(store, tables);
    // A write that fails midway (a NaN in its second chunk) rolls the statistics back with it.
    const bad = documentWrite('d', [chunk('Quinces and medlars'), chunk('More quinces', 1)]);
    (bad.chunks[1] as { embedding: Float32Array }).embedding[0] = Number.NaN;
    expect((await caught(() => store.replaceDocuments([bad]))).code).toBe('E_VECTOR_INVALID');
    expect(await statisticsDrift(store, tables)).toEqual(before);
    const { rows: quince } = await store.driver.query(`select 1 from ${tables.bm25.terms} where lexeme = 'quinc'`);
    expect(quince).toEqual([]);
    // TRUNCATE does not fire delete triggers; its own trigger empties the statistics.
    await store.driver.query(`truncate ${tables.documents} cascade`);
    expect(await statisticsDrift(store, tables)).toEqual(NO_DRIFT);
    const { rows: stats } = await store.driver.query<{ chunks: number }>(
      `select chunks::int from ${tables.bm25.stats}`,
    );
    expect(stats).toEqual([{ chunks: 0 }]);
    await store.replaceDocuments([documentWrite('e', [chunk('Apples again')])]);
    expect(await statisticsDrift(store, tables)).toEqual(NO_DRIFT);
    expect((await store.search({ mode: 'lexical', k: 5, text: 'apple' })).map((hit) => hit.chunk.text)).toEqual([
      'Apples again',
    ]);
  });

  it('backfills the statistics of a collection written before them (migration 4)', async () => {
    const store = await stores.open({ index: { type: 'none' } });
    const tables = collectionTables(store.collection);
    await store.replaceDocuments([
      documentWrite('a', [{ text: 'Apples and pears', embedding: axis(8, 0) }]),
      documentWrite('b', [{ text: 'Pears and plums and pears', embedding: axis(8, 1) }]),
    ]);
    // Back to schema version 3: no statistics, no triggers.
    const b = tables.bm25;
    await store.driver.query(`drop table ${b.postings}, ${b.terms}, ${b.chunks}, ${b.stats}`);
    await store.driver.query(
      `drop function ${b.onInsert}(), ${b.onDelete}(), ${b.onUpdate}(), ${b.onTruncate}() cascade`,
    );
    await store.driver.query(`delete from ${tables.migrations} where version = 4`);
    const reopened = await openPgVectorStore({ driver: db.driver, collection: store.collection });
    expect(await statisticsDrift(reopened, tables)).toEqual(NO_DRIFT);
    const { rows } = await db.driver.query<{ df: number }>(`select df from ${b.terms} where lexeme = 'pear'`);
    expect(rows).toEqual([{ df: 2 }]);
    // The triggers are back too.
    await reopened.replaceDocuments([documentWrite('c', [{ text: 'Plums', embedding: axis(8, 2) }])]);
    await reopened.deleteDocuments(['a']);
    expect(await statisticsDrift(reopened, tables)).toEqual(NO_DRIFT);
  });

  describe('plain questions and web-search syntax', () => {
    let store: PgVectorStore;
    const lexical = async (text: string, syntax?: 'plain' | 'websearch') =>
      (await store.search({ mode: 'lexical', k: 10, text, ...(syntax ? { lexicalSyntax: syntax } : {}) }))
        .map((hit) => hit.chunk.ordinal)
        .sort();
    beforeAll(async () => {
      store = await stores.open({ index: { type: 'none' } });
      await store.replaceDocuments([
        documentWrite(
          'docs',
          [
            'Reciprocal rank fusion merges ranked lists',
            'A rank of soldiers and a fusion reactor',
            'Cats sleep most of the day',
            'A database of cat pictures',
            'Vector search in a database',
            'Dogs or cats: which sleep more?',
          ].map((text, i) => ({ text, embedding: axis(8, i), metadata: { even: i % 2 === 0 } })),
        ),
      ]);
    });

    it('reads a question as a bag of its words: quotes, "or" and a leading dash are no syntax', async () => {
      // Any word may match: both chunks with 'rank' or 'fusion', not only the phrase.
      expect(await lexical('"rank fusion"')).toEqual([0, 1]);
      // '-cat' is the word 'cat': the cat chunks match instead of being excluded.
      expect(await lexical('vector -cat')).toEqual([2, 3, 4, 5]);
      // 'or' is a stop word; 'dogs' or 'pictures' matches.
      expect(await lexical('dogs or pictures')).toEqual([3, 5]);
      expect(await lexical('vector -cat', 'plain')).toEqual(await lexical('vector -cat'));
      // Nothing but syntax and stop words: no terms, no hits, no error.
      expect(await lexical('" - or "')).toEqual([]);
    });

    it('keeps web-search syntax when asked for (lexicalSyntax: websearch): phrases, exclusions, OR', async () => {
      expect(await lexical('"rank fusion"', 'websearch')).toEqual([0]);
      expect(await lexical('database -cat', 'websearch')).toEqual([4]);
      expect(await lexical('dogs or pictures', 'websearch')).toEqual([3, 5]);
      expect(await lexical('sleep cats', 'websearch')).toEqual([2, 5]);
      expect((await caught(() => lexical('cats', 'bogus' as 'plain'))).code).toBe('E_CONFIG_INVALID');
    });

    it('applies filters after scoring, and hybrid fuses the same lexical hits', async () => {
      const all = await store.search({ mode: 'lexical', k: 10, text: 'cats sleep database' });
      const even = await store.search({
        mode: 'lexical',
        k: 10,
        text: 'cats sleep database',
        filter: { field: 'metadata.even', op: 'eq', value: true },
      });
      const score = new Map(all.map((hit) => [hit.chunk.id, hit.scores.lexical]));
      expect(even.map((hit) => hit.chunk.ordinal)).toEqual([2, 4]);
      for (const hit of even) expect(hit.scores.lexical).toBe(score.get(hit.chunk.id));
      const hybrid = await store.search({ mode: 'hybrid', k: 10, text: 'cats sleep database', vector: axis(8, 1) });
      for (const hit of hybrid.filter((candidate) => candidate.scores.lexical !== undefined)) {
        expect(hit.scores.lexical).toBe(score.get(hit.chunk.id));
        expect(hit.ranks.lexical).toBe(all.findIndex((other) => other.chunk.id === hit.chunk.id) + 1);
      }
    });
  });
});

describe('BM25 statistics under concurrent writers on postgres', () => {
  let db: DatabaseUnderTest;
  const stores = new StoreTracker(() => db);
  beforeAll(async () => {
    db = await openDatabase('postgres');
  });
  afterAll(async () => {
    await stores.dropAll();
    await db.close();
  });

  it('keeps the statistics exact when writers of the same terms overlap (no deadlock)', async () => {
    const store = await stores.open({ index: { type: 'none' } });
    const tables = collectionTables(store.collection);
    const words = ['apple', 'pear', 'plum', 'quince', 'medlar', 'cherry'];
    // Eight writers on four pooled connections, each writing and replacing documents that share every word.
    await Promise.all(
      Array.from({ length: 8 }, async (_, writer) => {
        for (let round = 0; round < 3; round++) {
          const text = words.map((word, i) => `${word} `.repeat(((writer + round + i) % 3) + 1)).join(' ');
          await store.replaceDocuments([
            documentWrite(`w${writer}`, [{ text, embedding: axis(8, writer) }]),
            documentWrite(`shared${round % 2}`, [{ text: `${text} shared`, embedding: axis(8, round) }]),
          ]);
        }
      }),
    );
    expect(await statisticsDrift(store, tables)).toEqual(NO_DRIFT);
  });
});

describe('lexicalBranchCount', () => {
  it('counts runs of letters and digits, at most MAX_TERM_BRANCHES', () => {
    expect(lexicalBranchCount('What is BM25?')).toBe(3);
    expect(lexicalBranchCount('e-mail')).toBe(2);
    expect(lexicalBranchCount('Zürich 東京')).toBe(2);
    expect(lexicalBranchCount('')).toBe(0);
    expect(lexicalBranchCount('word '.repeat(100))).toBe(MAX_TERM_BRANCHES);
  });
});
