/**
 * Store benchmark: bulk-write methods, HNSW build time, and query latency and recall@10 against exact search,
 * on the PostgreSQL server (DATABASE_URL) and on PGlite, in one run.
 *
 *   pnpm bench:store            # server: N=20k writes, 10k-chunk query collection; PGlite: 5k and 5k
 *   BENCH_N=100000 BENCH_QUERY_N=100000 pnpm bench:store
 *   BENCH_DRIVERS=postgres BENCH_QUERIES=300 BENCH_INSERT=1 pnpm bench:store
 *
 * PGlite (single-threaded WebAssembly) is several times slower, so it has its own sizes by default
 * (BENCH_PGLITE_N, BENCH_PGLITE_QUERY_N; both follow BENCH_N / BENCH_QUERY_N when those are set).
 * Vectors are synthetic (384-d unit vectors in 50 clusters), generated from a fixed seed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPgDriver,
  createPgliteDriver,
  type OpenPgVectorStoreOptions,
  openPgVectorStore,
  type PgVectorStore,
  type SqlDriver,
} from '../src/index.js';
import { clusteredVectors, documentWrites, exactTopK, percentile, queriesNear } from './data.js';
import { insertLikeLangChain } from './langchain-style.js';

const DIMENSIONS = 384;
const env = process.env;
const SIZES: Record<string, { n: number; queryN: number }> = {
  postgres: { n: Number(env.BENCH_N ?? 20_000), queryN: Number(env.BENCH_QUERY_N ?? 10_000) },
  pglite: {
    n: Number(env.BENCH_PGLITE_N ?? env.BENCH_N ?? 5_000),
    queryN: Number(env.BENCH_PGLITE_QUERY_N ?? env.BENCH_QUERY_N ?? 5_000),
  },
};
/** Also time the store's own multi-row INSERT path (copy: false). */
const WITH_INSERT = env.BENCH_INSERT === '1';
const QUERIES = Number(process.env.BENCH_QUERIES ?? 100);
const DRIVERS = (process.env.BENCH_DRIVERS ?? 'postgres,pglite').split(',').map((name) => name.trim());
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://winnow:winnow@127.0.0.1:5432/winnow_test';
const K = 10;

interface Row {
  database: string;
  measure: string;
  figure: string;
}
const table: Row[] = [];
function report(database: string, measure: string, figure: string): void {
  table.push({ database, measure, figure });
  console.log(`  ${measure.padEnd(58)} ${figure}`);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await fn();
  return [result, performance.now() - started];
}

const rate = (rows: number, ms: number): string =>
  `${Math.round(rows / (ms / 1000)).toLocaleString('en')} rows/s (${(ms / 1000).toFixed(1)} s)`;

async function benchDatabase(name: string, driver: SqlDriver, maintenanceWorkMem: string | undefined): Promise<void> {
  const { n: N, queryN: QUERY_N } = SIZES[name] as { n: number; queryN: number };
  console.log(`\n${name}: writing ${N.toLocaleString('en')} × ${DIMENSIONS}-d chunks`);
  const run = `bench_${process.pid}`;
  const open = (suffix: string, options: OpenPgVectorStoreOptions = {}): Promise<PgVectorStore> =>
    openPgVectorStore({
      driver,
      collection: `${run}_${suffix}`,
      modelId: 'bench-384',
      dimensions: DIMENSIONS,
      deferIndex: true,
      maintenanceWorkMem,
      ...options,
    });
  const writes = documentWrites(clusteredVectors(N, DIMENSIONS, 1));

  // Write paths, each into an empty collection without a vector index.
  const copyLabel =
    driver.kind === 'postgres' ? 'store: binary COPY FROM STDIN' : "store: binary COPY FROM '/dev/blob'";
  const paths: Array<[string, OpenPgVectorStoreOptions]> = [[`${copyLabel}, 2,000 chunks per transaction`, {}]];
  if (WITH_INSERT) paths.push(['store: multi-row INSERT, 200 rows per statement (copy: false)', { copy: false }]);
  for (const [label, options] of paths) {
    const store = await open('write', options);
    const [, ms] = await timed(() => store.replaceDocuments(writes));
    report(name, label, rate(N, ms));
    await store.drop();
  }
  const baseline = await open('baseline');
  const [, baselineMs] = await timed(() => insertLikeLangChain(driver, baseline.collection, writes));
  report(name, 'baseline: LangChain.js-style INSERT of text literals (500/stmt)', rate(N, baselineMs));
  await baseline.drop();

  console.log(`${name}: HNSW (m=16, ef_construction=64) and queries over ${QUERY_N.toLocaleString('en')} chunks`);
  const vectors = clusteredVectors(QUERY_N, DIMENSIONS, 2);
  const store = await open('query');
  await store.replaceDocuments(documentWrites(vectors));
  const build = await store.buildIndex();
  report(name, `HNSW build, ${QUERY_N.toLocaleString('en')} chunks`, `${(build.ms / 1000).toFixed(1)} s`);

  const queries = queriesNear(vectors, QUERIES, 3);
  const truth = queries.map((query) => new Set(exactTopK(vectors, query, K)));
  const rowOf = (documentId: string, ordinal: number): number =>
    Number(documentId.slice('bench/doc-'.length, -'.md'.length)) * 10 + ordinal;
  const variants: Array<[string, { efSearch?: number; exact?: boolean }]> = [
    ['exact scan (index bypassed), the baseline', { exact: true }],
    ['HNSW ef_search=40', { efSearch: 40 }],
    ['HNSW ef_search=100', { efSearch: 100 }],
  ];
  for (const [label, options] of variants) {
    const latencies: number[] = [];
    let found = 0;
    // One unmeasured query warms caches and plans.
    await store.search({ mode: 'dense', k: K, vector: queries[0] as Float32Array, ...options });
    for (const [i, query] of queries.entries()) {
      const [hits, ms] = await timed(() => store.search({ mode: 'dense', k: K, vector: query, ...options }));
      latencies.push(ms);
      found += hits.filter((hit) => truth[i]?.has(rowOf(hit.chunk.documentId, hit.chunk.ordinal))).length;
    }
    report(
      name,
      `dense k=10, ${label}`,
      `p50 ${percentile(latencies, 50).toFixed(2)} ms, p95 ${percentile(latencies, 95).toFixed(2)} ms, recall@10 ${(found / (K * queries.length)).toFixed(3)}`,
    );
  }
  const hybrid: number[] = [];
  for (const [i, query] of queries.entries()) {
    // Each text matches about 1% of the chunks (one keyword of 97).
    const [, ms] = await timed(() =>
      store.search({ mode: 'hybrid', k: K, vector: query, text: `subject${i % 97}`, efSearch: 40 }),
    );
    hybrid.push(ms);
  }
  report(
    name,
    'hybrid k=10 (dense ef_search=40 + lexical, RRF)',
    `p50 ${percentile(hybrid, 50).toFixed(2)} ms, p95 ${percentile(hybrid, 95).toFixed(2)} ms`,
  );
  await store.drop();
}

async function main(): Promise<void> {
  console.log(`store benchmark: ${QUERIES} queries, drivers ${DRIVERS.join(', ')}; synthetic clustered 384-d vectors`);
  for (const name of DRIVERS) {
    if (name === 'postgres') {
      const driver = createPgDriver({ url: DATABASE_URL, setting: 'DATABASE_URL' });
      try {
        await benchDatabase('postgres', driver, process.env.BENCH_MAINTENANCE_WORK_MEM ?? '512MB');
      } finally {
        await driver.close();
      }
    } else if (name === 'pglite') {
      const dir = await mkdtemp(join(tmpdir(), 'winnow-bench-'));
      const driver = await createPgliteDriver({ path: join(dir, 'db') });
      try {
        await benchDatabase('pglite', driver, undefined);
      } finally {
        await driver.close();
        await rm(dir, { recursive: true, force: true });
      }
    } else {
      throw new Error(`BENCH_DRIVERS: unknown driver ${name}; expected postgres and/or pglite`);
    }
  }
  console.log('\n| database | measure | figure |\n| --- | --- | --- |');
  for (const row of table) console.log(`| ${row.database} | ${row.measure} | ${row.figure} |`);
}

await main();
