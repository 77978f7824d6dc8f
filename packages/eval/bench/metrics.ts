/**
 * How fast evaluation and the significance tests run on a synthetic run.
 * Knobs: WINNOW_BENCH_QUERIES (default 1000), WINNOW_BENCH_DOCS per query (default 1000).
 * Baseline: ranking alone (the trec_eval sort every evaluation needs), measured in the same run.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bootstrapCi,
  evaluateRun,
  pairedRandomisationTest,
  pairedTTest,
  type Qrels,
  type Run,
  rankDocuments,
  readTrecRun,
  writeTrecRun,
} from '../src/index.js';

const queries = Number(process.env.WINNOW_BENCH_QUERIES ?? 1000);
const docsPerQuery = Number(process.env.WINNOW_BENCH_DOCS ?? 1000);

const MEASURES = [
  'ndcg_cut_1',
  'ndcg_cut_3',
  'ndcg_cut_5',
  'ndcg_cut_10',
  'ndcg_cut_100',
  'ndcg',
  'recip_rank',
  'map',
  'map_cut_10',
  'map_cut_100',
  'P_5',
  'P_10',
  'recall_5',
  'recall_10',
  'recall_50',
  'recall_100',
  'Rprec',
  'success_1',
  'success_5',
  'success_10',
];

/** A deterministic generator, so every run of the bench measures the same data. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function synthetic(seed: number): { run: Run; qrels: Qrels } {
  const random = lcg(seed);
  const run: Run = new Map();
  const qrels: Qrels = new Map();
  for (let q = 0; q < queries; q++) {
    const scores = new Map<string, number>();
    for (let d = 0; d < docsPerQuery; d++) scores.set(`doc${Math.floor(random() * docsPerQuery * 2)}`, random() * 30);
    run.set(`q${q}`, scores);
    const judged = new Map<string, number>();
    for (let r = 0; r < 5; r++)
      judged.set(`doc${Math.floor(random() * docsPerQuery * 2)}`, 1 + Math.floor(random() * 3));
    qrels.set(`q${q}`, judged);
  }
  return { run, qrels };
}

function time<T>(label: string, action: () => T): T {
  const start = performance.now();
  const result = action();
  console.log(`${label.padEnd(48)} ${(performance.now() - start).toFixed(1).padStart(9)} ms`);
  return result;
}

async function timeAsync<T>(label: string, action: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await action();
  console.log(`${label.padEnd(48)} ${(performance.now() - start).toFixed(1).padStart(9)} ms`);
  return result;
}

const { run, qrels } = synthetic(1);
const other = synthetic(2).run;
const entries = [...run.values()].reduce((sum, scores) => sum + scores.size, 0);
console.log(`synthetic run: ${queries} queries, ${entries} (query, document) entries, ${MEASURES.length} measures`);

time('baseline: rankDocuments for every query', () => {
  for (const [queryId, scores] of run) rankDocuments(scores, queryId);
});
const first = time('evaluateRun, 20 measures', () => evaluateRun(run, qrels, MEASURES));
const second = evaluateRun(other, qrels, MEASURES);
console.log(`  mean ndcg_cut_10 ${first.mean.ndcg_cut_10?.toFixed(4)}, map ${first.mean.map?.toFixed(4)}`);

const ids = Object.keys(first.perQuery);
const a = ids.map((id) => first.perQuery[id]?.ndcg_cut_10 ?? 0);
const b = ids.map((id) => second.perQuery[id]?.ndcg_cut_10 ?? 0);
const t = time('paired t-test', () => pairedTTest(a, b));
const randomised = time('randomisation test, 10,000 trials', () => pairedRandomisationTest(a, b));
const interval = time('bootstrap CI, 1,000 resamples', () => bootstrapCi(a));
console.log(
  `  t p=${t.pValue.toFixed(4)}, randomisation p=${randomised.pValue.toFixed(4)}, CI [${interval.lower.toFixed(4)}, ${interval.upper.toFixed(4)}]`,
);

const folder = await mkdtemp(join(tmpdir(), 'winnow-eval-bench-'));
try {
  const file = join(folder, 'run.trec');
  await timeAsync('writeTrecRun', () => writeTrecRun(file, run));
  await timeAsync('baseline: readFile and split into lines', async () => (await readFile(file, 'utf8')).split('\n'));
  await timeAsync('readTrecRun', () => readTrecRun(file));
} finally {
  await rm(folder, { recursive: true, force: true });
}
