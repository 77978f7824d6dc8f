/**
 * Lexical recall benchmark: BM25 read from the maintained statistics (search-sql.ts) against the SQL it replaced
 * (legacy-lexical.ts: everything counted at query time), on SciFact, in the same collection and the same run.
 *
 *   pnpm bench:lexical                       # server and PGlite, SciFact once (5,183 abstracts)
 *   pnpm bench:lexical --extra 100000        # plus 100k documents made of SciFact sentences (105,183 chunks)
 *   pnpm bench:lexical --drivers postgres --queries 300 --k 50
 *
 * Reports write time with and without the statistics triggers, lexical latency p50/p95 of both SQL forms (queries
 * interleaved, after a warm-up), the scores' largest difference from the old formula (plain questions, any term
 * matching), how many test queries' top 10 changed against the old rule (web-search syntax when the text looked like
 * it), and nDCG@10 of both.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createPgDriver,
  createPgliteDriver,
  openPgVectorStore,
  type PgVectorStore,
  type SqlDriver,
} from '../src/index.js';
import { collectionTables } from '../src/naming.js';
import { lexicalSql, type SearchSqlParts } from '../src/search-sql.js';
import { type BeirCorpus, documentWrites, readBeirCorpus, syntheticDocuments } from './beir-corpus.js';
import { percentile } from './data.js';
import { legacyLexicalSql } from './legacy-lexical.js';

const { values: args } = parseArgs({
  options: {
    dataset: {
      type: 'string',
      default: process.env.WINNOW_SCIFACT ?? join(import.meta.dirname, '../../../../shared/datasets/scifact'),
    },
    drivers: { type: 'string', default: 'postgres,pglite' },
    extra: { type: 'string', default: '0' },
    queries: { type: 'string' },
    k: { type: 'string', default: '100' },
  },
});
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://winnow:winnow@127.0.0.1:5432/winnow_test';
const DIMENSIONS = 8;
const K = Number(args.k);
const EXTRA = Number(args.extra);
/** PGlite runs the old SQL at about a second a query, so it gets fewer queries unless told. */
const QUERY_COUNT: Record<string, number> = {
  postgres: Number(args.queries ?? 300),
  pglite: Number(args.queries ?? 60),
};
const WARM_UP = 10;
const LOAD_SLICE = 10_000;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await fn();
  return [result, performance.now() - started];
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;

function summary(times: number[]): string {
  return `p50 ${ms(percentile(times, 50))}  p95 ${ms(percentile(times, 95))}  max ${ms(Math.max(...times))}`;
}

/** nDCG@10 with binary relevance over documents (a document ranks where its best chunk does). */
function ndcgAt10(ranked: string[], relevant: Set<string>): number {
  const documents = [...new Set(ranked)].slice(0, 10);
  const dcg = documents.reduce((sum, id, i) => sum + (relevant.has(id) ? 1 / Math.log2(i + 2) : 0), 0);
  let ideal = 0;
  for (let i = 0; i < Math.min(10, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
  return ideal === 0 ? 0 : dcg / ideal;
}

async function openDriver(name: string): Promise<{ driver: SqlDriver; close: () => Promise<void> }> {
  if (name === 'postgres') {
    // Both SQL forms run without JIT, as the store runs lexical search (see NO_JIT in search.ts).
    const url = new URL(DATABASE_URL);
    url.searchParams.set('options', '-c jit=off');
    const driver = createPgDriver({ url: url.toString(), setting: 'DATABASE_URL', maxConnections: 2 });
    return { driver, close: () => driver.close() };
  }
  const dir = await mkdtemp(join(tmpdir(), 'winnow-bench-lexical-'));
  const driver = await createPgliteDriver({ path: join(dir, 'db') });
  return {
    driver,
    close: async () => {
      await driver.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function openCollection(driver: SqlDriver, name: string): Promise<PgVectorStore> {
  return openPgVectorStore({
    driver,
    collection: `${name}_${process.pid}`,
    modelId: 'bench-lexical',
    dimensions: DIMENSIONS,
    index: { type: 'none' },
  });
}

/** Write time of the corpus once, with the statistics triggers and with them disabled (the baseline). */
async function measureWrites(driver: SqlDriver, corpus: BeirCorpus): Promise<void> {
  const writes = documentWrites(corpus.documents, DIMENSIONS);
  for (const triggers of [true, false]) {
    const store = await openCollection(driver, triggers ? 'bench_lex_w1' : 'bench_lex_w0');
    const chunks = collectionTables(store.collection).chunks;
    if (!triggers) await driver.query(`alter table ${chunks} disable trigger user`);
    const [, took] = await timed(() => store.writeDocuments(writes));
    console.log(`  write ${writes.length} chunks, statistics triggers ${triggers ? 'on ' : 'off'}  ${ms(took)}`);
    await store.drop();
  }
}

async function benchDriver(name: string, corpus: BeirCorpus): Promise<void> {
  console.log(`\n${name}: SciFact (${corpus.documents.length} chunks) + ${EXTRA} synthetic, k ${K}`);
  const { driver, close } = await openDriver(name);
  try {
    await measureWrites(driver, corpus);
    const store = await openCollection(driver, 'bench_lexical');
    const tables = collectionTables(store.collection);
    try {
      let loadMs = 0;
      for (let start = 0; start < corpus.documents.length + EXTRA; start += LOAD_SLICE) {
        // Real documents first, then synthetic ones made (and dropped) a slice at a time.
        const real = corpus.documents.slice(start, start + LOAD_SLICE);
        const documents =
          real.length > 0
            ? real
            : syntheticDocuments(corpus, Math.min(LOAD_SLICE, corpus.documents.length + EXTRA - start), start);
        loadMs += (await timed(() => store.writeDocuments(documentWrites(documents, DIMENSIONS))))[1];
      }
      console.log(`  load ${ms(loadMs)}`);
      // Planner statistics for the freshly loaded tables (PGlite has no autovacuum to gather them).
      for (const table of [
        tables.chunks,
        tables.documents,
        tables.bm25.stats,
        tables.bm25.chunks,
        tables.bm25.terms,
        tables.bm25.postings,
      ]) {
        await driver.query(`analyze ${table}`);
      }
      await compare(driver, tables, corpus, QUERY_COUNT[name] ?? 100);
    } finally {
      await store.drop();
    }
  } finally {
    await close();
  }
}

async function compare(
  driver: SqlDriver,
  tables: ReturnType<typeof collectionTables>,
  corpus: BeirCorpus,
  count: number,
): Promise<void> {
  const placeholders = { text: '$1', limit: '$2' };
  const parts: SearchSqlParts & { text: string } = {
    tables,
    metric: 'cosine',
    vectorType: 'vector',
    textSearch: 'english',
    ...placeholders,
  };
  // Both forms return the same columns: the chunks' text and their documents' URIs with each hit.
  const hydrate = (sql: string) => `select h.id, h.score as lexical_score, c.document_id, c.text, d.uri from (${sql}) h
    join ${tables.chunks} c on c.id = h.id join ${tables.documents} d on d.id = c.document_id
    order by h.score desc, h.id`;
  const forms = {
    new: lexicalSql(parts),
    // The same with a filter (one that keeps everything): every match is joined to its chunk and document.
    filtered: lexicalSql({ ...parts, filter: 'true' }),
    old: hydrate(legacyLexicalSql(tables, 'english', placeholders, 'old')),
  };
  const anyTerm = legacyLexicalSql(tables, 'english', placeholders, 'any');
  type Hit = { id: string; lexical_score: number; document_id: string };
  const queries = corpus.queries.slice(0, count);
  const times: Record<keyof typeof forms, number[]> = { new: [], filtered: [], old: [] };
  let maxDifference = 0;
  let changedTop10 = 0;
  const ndcg = { new: 0, old: 0 };
  for (const [i, query] of [...queries.slice(0, WARM_UP), ...queries].entries()) {
    const hits = {} as Record<keyof typeof forms, Hit[]>;
    for (const form of Object.keys(forms) as Array<keyof typeof forms>) {
      const [result, took] = await timed(() => driver.query<Hit>(forms[form], [query.text, K]));
      hits[form] = result.rows;
      if (i >= WARM_UP) times[form].push(took);
    }
    if (i < WARM_UP) continue;
    const reference = (await driver.query<{ id: string; score: number }>(anyTerm, [query.text, K])).rows;
    maxDifference = Math.max(
      maxDifference,
      scoreDifference(hits.new, reference),
      scoreDifference(hits.filtered, reference),
    );
    if (hits.new.slice(0, 10).some((hit, rank) => hit.id !== hits.old[rank]?.id)) changedTop10++;
    const relevant = corpus.relevant.get(query.id) ?? new Set<string>();
    ndcg.new += ndcgAt10(
      hits.new.map((hit) => hit.document_id),
      relevant,
    );
    ndcg.old += ndcgAt10(
      hits.old.map((hit) => hit.document_id),
      relevant,
    );
  }
  console.log(`  lexical, maintained statistics             ${summary(times.new)}`);
  console.log(`  lexical, maintained statistics, filtered   ${summary(times.filtered)}`);
  console.log(`  lexical, counted per query (old)           ${summary(times.old)}`);
  console.log(`  largest |score − old formula| ${maxDifference.toExponential(2)} over ${queries.length} queries`);
  console.log(`  queries whose top 10 changed against the old rule: ${changedTop10} of ${queries.length}`);
  console.log(`  nDCG@10 new ${(ndcg.new / queries.length).toFixed(4)}  old ${(ndcg.old / queries.length).toFixed(4)}`);
}

/** The largest score difference between two rankings of the same chunks; Infinity when the chunks differ. */
function scoreDifference(
  fresh: Array<{ id: string; lexical_score: number }>,
  reference: Array<{ id: string; score: number }>,
): number {
  if (fresh.length !== reference.length) return Number.POSITIVE_INFINITY;
  const expected = new Map(reference.map((row) => [row.id, row.score]));
  let largest = 0;
  for (const [rank, { id, lexical_score: score }] of fresh.entries()) {
    // A chunk tied with the k-th may be swapped for another of the same score: compare by rank then.
    const want = expected.get(id) ?? (reference[rank] as { score: number }).score;
    largest = Math.max(largest, Math.abs(score - want));
  }
  return largest;
}

const corpus = readBeirCorpus(args.dataset as string);
for (const name of (args.drivers as string).split(',').map((driver) => driver.trim())) await benchDriver(name, corpus);
