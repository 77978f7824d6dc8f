/**
 * The store's client-side overhead on dense search (issue #14): dense top-50 through `store.search` against the
 * very same statement through a bare `pg.Client`, alternated query by query in one run on the server
 * (DATABASE_URL), and where the store's extra time goes.
 *
 *   pnpm bench:dense-overhead [--chunks 20000] [--queries 300]
 *
 * Sides, each query in turn (run once untimed first, then the sides in a balanced rotating order):
 *   store          store.search with an AbortSignal (as the pipeline calls it)
 *   store, no sig  store.search without one
 *   bare stmt      the store's statement and parameters (extended protocol), index settings set once per session
 *   bare batch     the store's own message (SET LOCALs and the statement, literals inlined; built by settingsBatch
 *                  in the timed call, as the store builds it) as one simple query
 * Breakdown of the store side: time inside the driver's `query` against outside it (building the statement,
 * formatting the vector, mapping rows), this process's CPU time per query on each side, and the JS pieces timed
 * alone on the same inputs.
 * The collection (`dense_overhead_*`) is dropped at the end.
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { QueryOptions, SqlDriver } from '../src/driver.js';
import { type HitRow, hitToCandidate } from '../src/hits.js';
import { createPgDriver, formatVector, openPgVectorStore } from '../src/index.js';
import { settingsBatch } from '../src/statement-batch.js';
import { clusteredVectors, documentWrites, percentile, queriesNear } from './data.js';
import { recording, type Sent } from './scale.js';

const DIMENSIONS = 384;
const K = 50;
/** Chunks per writeDocuments call. */
const CHUNKS_PER_CALL = 2_000;
const WARMUP = 20;

export interface DenseOverheadOptions {
  url: string;
  chunks: number;
  queries: number;
  log: (line: string) => void;
}

interface Spread {
  p50: number;
  p95: number;
  min: number;
}

const spread = (values: number[]): Spread => ({
  p50: percentile(values, 50),
  p95: percentile(values, 95),
  min: Math.min(...values),
});

const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await fn();
  return [result, performance.now() - started];
}

/**
 * µs per call of `fn` (a JS piece alone, outside any I/O): the least mean of five rounds of `repeat` calls, after a
 * round to warm it up, since on a shared machine a round can only be slowed by others, not sped up.
 */
function micros(fn: () => unknown, repeat = 1_000): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 6; round++) {
    const started = performance.now();
    for (let i = 0; i < repeat; i++) fn();
    if (round > 0) best = Math.min(best, ((performance.now() - started) * 1000) / repeat);
  }
  return best;
}

/** Wraps a driver so the time spent inside `query`, and the rows it returned, can be read after each call. */
function timing(driver: SqlDriver): SqlDriver & { ms: number; rows: unknown[] } {
  const wrapper: SqlDriver & { ms: number; rows: unknown[] } = Object.create(driver);
  wrapper.ms = 0;
  wrapper.rows = [];
  wrapper.query = async <R extends object>(text: string, params?: readonly unknown[], options?: QueryOptions) => {
    const started = performance.now();
    const result = await driver.query<R>(text, params, options);
    wrapper.ms += performance.now() - started;
    wrapper.rows = result.rows;
    return result;
  };
  return wrapper;
}

export async function runDenseOverhead(options: DenseOverheadOptions): Promise<void> {
  const { log } = options;
  const loadBefore = load();
  const driver = createPgDriver({ url: options.url, setting: 'DATABASE_URL', maxConnections: 4 });
  // The timer sits under the recorder, so a dry run (recorded, not sent) costs it nothing.
  const timer = timing(driver);
  const recorder = recording(timer);
  const bare = new pg.Client({ connectionString: options.url });
  await bare.connect();
  const collection = `dense_overhead_${process.pid}_${Date.now().toString(36)}`;
  const store = await openPgVectorStore({
    driver: recorder,
    collection,
    modelId: 'dense-overhead-384',
    dimensions: DIMENSIONS,
    deferIndex: true,
  });
  try {
    log(`writing ${options.chunks.toLocaleString('en')} chunks to ${collection}`);
    const vectors = clusteredVectors(options.chunks, DIMENSIONS, 1);
    const writes = documentWrites(vectors);
    const perCall = CHUNKS_PER_CALL / 10;
    for (let start = 0; start < writes.length; start += perCall) {
      await store.writeDocuments(writes.slice(start, start + perCall));
    }
    const build = await store.buildIndex();
    log(`  HNSW built in ${(build.ms / 1000).toFixed(1)} s`);

    const queries = queriesNear(vectors, options.queries + WARMUP, 2);
    const sides = ['store', 'store, no signal', 'bare statement', 'bare batch'] as const;
    const ms: Record<(typeof sides)[number], number[]> = {
      store: [],
      'store, no signal': [],
      'bare statement': [],
      'bare batch': [],
    };
    // This process's CPU time per side (µs, all threads: GC included), steadier than latency on a shared machine.
    const cpu = { store: 0, 'store, no signal': 0, 'bare statement': 0, 'bare batch': 0 };
    const inside: number[] = [];
    const outside: number[] = [];
    const dryRun: number[] = [];
    let sessionSettings = '';
    let sent: Sent | undefined;
    let rows: HitRow[] = [];
    log(`dense top-${K}: ${WARMUP} warm-up + ${options.queries} queries per side, ${sides.join(' / ')}`);
    for (const [i, vector] of queries.entries()) {
      const request = { mode: 'dense' as const, k: K, vector };
      // A dry run builds the statement (vector text included) and maps no rows: the store's JS before sending.
      recorder.dryRun = true;
      const [, buildMs] = await timed(() => store.search(request));
      recorder.dryRun = false;
      if (i >= WARMUP) dryRun.push(buildMs);
      const statement = recorder.last as Sent;
      sent = statement;
      const settings = (statement.settings ?? [])
        .map(([name, value]) => `set ${name} = ${pg.escapeLiteral(value)}`)
        .join('; ');
      if (settings !== sessionSettings) {
        await bare.query(settings);
        sessionSettings = settings;
      }
      const run: Record<(typeof sides)[number], () => Promise<unknown>> = {
        store: async () => {
          timer.ms = 0;
          const [, took] = await timed(() => store.search(request, { signal: new AbortController().signal }));
          rows = timer.rows as HitRow[];
          if (i >= WARMUP) {
            inside.push(timer.ms);
            outside.push(took - timer.ms);
          }
          return took;
        },
        'store, no signal': async () => (await timed(() => store.search(request)))[1],
        'bare statement': async () => (await timed(() => bare.query(statement.text, [...statement.params])))[1],
        'bare batch': async () =>
          (await timed(() => bare.query(settingsBatch(statement.settings ?? [], statement.text, statement.params))))[1],
      };
      // The query once, untimed, so that no side pays for reading its pages; then the sides in an order that
      // rotates, forwards and backwards, so each goes before each other as often as after it.
      await bare.query(statement.text, [...statement.params]);
      const order = sides.map((_, s) => sides[(Math.floor(i / 2) + s) % sides.length] as (typeof sides)[number]);
      if (i % 2 === 1) order.reverse();
      for (const side of order) {
        const cpuBefore = process.cpuUsage();
        const took = (await run[side]()) as number;
        const cpuUsed = process.cpuUsage(cpuBefore);
        if (i >= WARMUP) {
          ms[side].push(took);
          cpu[side] += cpuUsed.user + cpuUsed.system;
        }
      }
    }
    const loadAfter = load();

    const fmt = (l: Spread) => `p50 ${l.p50.toFixed(2)}  p95 ${l.p95.toFixed(2)}  min ${l.min.toFixed(2)} ms`;
    log('');
    log(`${options.chunks.toLocaleString('en')} chunks, ${options.queries} queries; load ${loadBefore} → ${loadAfter}`);
    for (const side of sides) {
      log(
        `  ${side.padEnd(18)} ${fmt(spread(ms[side]))}  client CPU ${Math.round(cpu[side] / options.queries)} µs/query`,
      );
    }
    const store50 = spread(ms.store);
    const stmt = spread(ms['bare statement']);
    const batch = spread(ms['bare batch']);
    log(
      `  ratio store / bare statement: p50 ${(store50.p50 / stmt.p50).toFixed(2)}, p95 ${(store50.p95 / stmt.p95).toFixed(2)}`,
    );
    log(
      `  ratio store / bare batch:     p50 ${(store50.p50 / batch.p50).toFixed(2)}, p95 ${(store50.p95 / batch.p95).toFixed(2)}`,
    );
    // Per-query differences, so the server's own spread cancels out of the store's extra time.
    const paired = (side: (typeof sides)[number], base: (typeof sides)[number]) =>
      percentile(
        ms[side].map((value, q) => value - (ms[base][q] as number)),
        50,
      ).toFixed(3);
    log(`  same query, median difference: store − bare statement ${paired('store', 'bare statement')} ms,`);
    log(
      `    store − bare batch ${paired('store', 'bare batch')} ms, store − store without signal ${paired('store', 'store, no signal')} ms`,
    );
    log('where the store side spends its time (p50):');
    log(`  inside driver.query            ${percentile(inside, 50).toFixed(3)} ms`);
    log(`  outside (build SQL, map rows)  ${percentile(outside, 50).toFixed(3)} ms`);
    log(`  building the statement alone   ${percentile(dryRun, 50).toFixed(3)} ms (store.search, not sent)`);
    const last = sent as Sent;
    const vector = queries[0] as Float32Array;
    const vectorUs = micros(() => formatVector(vector, DIMENSIONS, { owner: 'the query vector', field: 'vector' }));
    const batchUs = micros(() => settingsBatch(last.settings ?? [], last.text, last.params));
    const mapUs = micros(() => rows.map((row, r) => hitToCandidate(row, { dense: [1 - (row.distance ?? 0), r + 1] })));
    log(`  formatVector (384-d), alone    ${vectorUs.toFixed(1)} µs`);
    log(`  settingsBatch (inline), alone  ${batchUs.toFixed(1)} µs`);
    log(`  mapping ${rows.length} rows, alone         ${mapUs.toFixed(1)} µs`);
  } finally {
    await store.drop();
    await bare.end();
    await driver.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      chunks: { type: 'string', default: '20000' },
      queries: { type: 'string', default: '300' },
    },
  });
  const integer = (name: string, value: string | undefined): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name}: expected a positive integer, got ${value}`);
    return n;
  };
  await runDenseOverhead({
    url: process.env.DATABASE_URL ?? 'postgres://winnow:winnow@127.0.0.1:5432/winnow_test',
    chunks: integer('chunks', values.chunks),
    queries: integer('queries', values.queries),
    log: (line) => console.log(line),
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
