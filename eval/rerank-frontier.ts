/**
 * Stage 2's quality/latency frontier on SciFact train (issue 12): for the default recall (hybrid, all-MiniLM-L6-v2,
 * top 50), every (query, candidate) pair is scored one pair per call by ms-marco-MiniLM-L-12-v2 at each `maxTokens`,
 * each call timed. Because a pair scored alone gets the same logit whatever else is scored, reranking to depth d is
 * exactly the first d of those calls: its nDCG@10 and its time (recall time measured per query + the d calls) come
 * from the same measured figures for every depth. Fusion: rerank order, and interpolation with its weight chosen on
 * these same train queries (what `winnow eval --tune-split train` would choose). Train only: defaults are chosen
 * here, test is reported elsewhere.
 *
 *   node --conditions=source --import tsx eval/rerank-frontier.ts [--queries 100] [--max-tokens 128,256,512]
 *     [--depths 10,20,30,50] [--cache-dir .winnow/eval-cache] [--out eval/results/scifact/rerank-frontier.json]
 *     [--retime N]
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Candidate, findSharedModelsDir, parseConfig } from '@winnow/core';
import {
  chunkHitsFromCandidates,
  documentRunFromChunkHits,
  evaluateRun,
  indexCorpus,
  loadBeirDataset,
} from '@winnow/eval';
import { createRetriever, DEFAULT_FUSION, type FusionOptions, fuseStages } from '@winnow/pipeline';
import { CrossEncoderReranker } from '@winnow/rerank';

const MODEL = 'ms-marco-MiniLM-L-12-v2';
const { values: args } = parseArgs({
  options: {
    queries: { type: 'string', default: '100' },
    'max-tokens': { type: 'string', default: '128,256,512' },
    depths: { type: 'string', default: '10,20,30,50' },
    'lexical-weight': { type: 'string', default: '1.25' },
    'cache-dir': { type: 'string', default: '.winnow/eval-cache' },
    out: { type: 'string', default: 'eval/results/scifact/rerank-frontier.json' },
    /** Score the first N queries' pairs again and keep those timings (cached timings may come from a busier time). */
    retime: { type: 'string', default: '0' },
  },
});
const retime = Number(args.retime);
const list = (value: unknown) => String(value).split(',').map(Number);
const maxTokensList = list(args['max-tokens']);
const depths = list(args.depths);
const recallK = Math.max(...depths);
const models = process.env.WINNOW_MODELS || findSharedModelsDir(process.cwd());
if (!models) throw new Error('set WINNOW_MODELS to shared/models');
const cacheDir = args['cache-dir'] as string;

const dataset = await loadBeirDataset(join(dirname(models), 'datasets', 'scifact'), { split: 'train' });
const queries = [...dataset.queries.values()].slice(0, Number(args.queries));
// The committed hybrid configuration (eval/configs/hybrid.yaml) with its lexical weight tuned on train.
const config = parseConfig({
  chunk: { split: false, contextual: false },
  embed: { model: 'all-MiniLM-L6-v2', dtype: 'q8', device: 'cpu' },
  recall: { mode: 'hybrid', k: recallK, efSearch: 200, rrfK: 60, lexicalWeight: Number(args['lexical-weight']) },
});
const indexed = await indexCorpus(dataset, 'scifact', config, { cacheDir });
const recallOnly = createRetriever({
  embedder: indexed.embedder,
  store: indexed.store,
  recall: config.recall,
  rerank: { k: recallK },
});

// Recall: each query once, timed as the retriever reports it (embed + search + dedupe).
const recalled: { queryId: string; text: string; candidates: Candidate[]; recallMs: number }[] = [];
for (const query of queries) {
  const result = await recallOnly.retrieve(query.text);
  recalled.push({
    queryId: query.id,
    text: query.text,
    candidates: result.candidates,
    recallMs: result.timings.totalMs,
  });
}

interface PairFigure {
  score: number;
  ms: number;
}
const cacheFile = join(cacheDir, 'ms-marco-frontier-pairs.json');
const pairs: Record<string, PairFigure> = existsSync(cacheFile) ? JSON.parse(readFileSync(cacheFile, 'utf8')) : {};
const loads: number[] = [];

for (const maxTokens of maxTokensList) {
  const reranker = await CrossEncoderReranker.create({ model: MODEL, device: 'cpu', batchSize: 1, maxTokens });
  for (const [n, { queryId, text, candidates }] of recalled.entries()) {
    for (const candidate of candidates) {
      const key = `${maxTokens}\t${queryId}\t${candidate.chunk.id}`;
      if (pairs[key] && n >= retime) continue;
      const started = performance.now();
      const [score] = await reranker.score(text, [candidate.chunk.text]);
      pairs[key] = { score: score ?? Number.NaN, ms: performance.now() - started };
    }
    loads.push(loadavg()[0] ?? 0);
    if ((n + 1) % 10 === 0) {
      console.error(`maxTokens ${maxTokens}: ${n + 1}/${recalled.length} queries`);
      await mkdir(cacheDir, { recursive: true });
      await writeFile(cacheFile, JSON.stringify(pairs));
    }
  }
  await writeFile(cacheFile, JSON.stringify(pairs));
  await reranker.close();
}
await indexed.store.close();
await indexed.embedder.close?.();

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
};
const ndcgOf = (fused: { queryId: string; candidates: Candidate[] }[]) =>
  evaluateRun(
    documentRunFromChunkHits(new Map(fused.map((f) => [f.queryId, chunkHitsFromCandidates(f.candidates)]))),
    dataset.qrels,
    ['ndcg@10'],
  ).mean['ndcg@10'] ?? 0;
const recallNdcg = ndcgOf(recalled);

const WEIGHTS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const rows = [];
for (const maxTokens of maxTokensList) {
  for (const depth of depths) {
    const reranked = recalled.map(({ queryId, candidates, recallMs }) => {
      const scored = candidates.map((c, i) => {
        if (i >= depth) return c;
        const figure = pairs[`${maxTokens}\t${queryId}\t${c.chunk.id}`] as PairFigure;
        return { ...c, scores: { ...c.scores, rerank: figure.score } };
      });
      const rerankMs = candidates
        .slice(0, depth)
        .reduce((sum, c) => sum + (pairs[`${maxTokens}\t${queryId}\t${c.chunk.id}`]?.ms ?? 0), 0);
      return { queryId, candidates: withRerankRanks(scored), totalMs: recallMs + rerankMs, rerankMs };
    });
    const fuse = (fusion: FusionOptions) =>
      ndcgOf(reranked.map((r) => ({ queryId: r.queryId, candidates: fuseStages(r.candidates, 'hybrid', fusion) })));
    const base: FusionOptions = { method: 'interpolate', weight: 0.5, rrfK: 60, normalize: 'zscore' };
    const grid = WEIGHTS.map((weight) => ({ weight, ndcg: fuse({ ...base, weight }) }));
    const interpolated = [...grid].sort((a, b) => b.ndcg - a.ndcg)[0] as { weight: number; ndcg: number };
    // With --retime, latency comes from the re-timed queries only (timed together, under one load).
    const timed = retime > 0 ? reranked.slice(0, retime) : reranked;
    const totals = timed.map((r) => r.totalMs);
    const perPair = timed.map((r) => r.rerankMs / Math.min(depth, r.candidates.length));
    rows.push({
      maxTokens,
      depth,
      ndcgRerankOnly: fuse({ ...base, method: 'rerank' }),
      // The default share as shipped: what a user who tunes nothing gets (the best share is chosen on these queries).
      ndcgDefaultFusion: fuse(DEFAULT_FUSION),
      ndcgInterpolated: interpolated.ndcg,
      interpolateWeight: interpolated.weight,
      interpolateGrid: grid,
      totalP50Ms: quantile(totals, 0.5),
      totalP95Ms: quantile(totals, 0.95),
      msPerPairMedian: quantile(perPair, 0.5),
    });
  }
}

/** Rerank ranks from rerank scores among the scored candidates, as the retriever sets them. */
function withRerankRanks(candidates: Candidate[]): Candidate[] {
  const order = candidates
    .map((c, i) => ({ i, score: c.scores.rerank }))
    .filter((e): e is { i: number; score: number } => e.score !== undefined)
    .sort((a, b) => b.score - a.score || a.i - b.i);
  const rank = new Map(order.map((e, r) => [e.i, r + 1]));
  return candidates.map((c, i) => (rank.has(i) ? { ...c, ranks: { ...c.ranks, rerank: rank.get(i) } } : c));
}

const recallTimes = (retime > 0 ? recalled.slice(0, retime) : recalled).map((r) => r.recallMs);
const result = {
  split: 'train',
  queries: recalled.length,
  timedQueries: retime > 0 ? Math.min(retime, recalled.length) : recalled.length,
  recall: { mode: 'hybrid', k: recallK, lexicalWeight: config.recall.lexicalWeight, ndcg: recallNdcg },
  recallP50Ms: quantile(recallTimes, 0.5),
  recallP95Ms: quantile(recallTimes, 0.95),
  loadAverage1m: { min: Math.min(...loads), median: quantile(loads, 0.5), max: Math.max(...loads) },
  note: 'one pair per call, CPU (2 cores), onnxruntime threads = physical cores; totals = measured recall + measured pair calls',
  rows,
};
await mkdir(dirname(args.out as string), { recursive: true });
await writeFile(args.out as string, `${JSON.stringify(result, null, 2)}\n`);
console.log(`recall only: nDCG@10 ${recallNdcg.toFixed(4)}, p50 ${result.recallP50Ms.toFixed(0)} ms`);
console.log(
  `maxTokens depth  rerank-only  default (${DEFAULT_FUSION.weight})  best (w)        p50 ms  p95 ms  ms/pair`,
);
for (const r of rows) {
  console.log(
    `${String(r.maxTokens).padStart(9)} ${String(r.depth).padStart(5)}  ${r.ndcgRerankOnly.toFixed(4).padStart(11)}  ${r.ndcgDefaultFusion.toFixed(4).padStart(13)}  ${r.ndcgInterpolated.toFixed(4)} (${r.interpolateWeight})  ${r.totalP50Ms.toFixed(0).padStart(6)}  ${r.totalP95Ms.toFixed(0).padStart(6)}  ${r.msPerPairMedian.toFixed(1).padStart(7)}`,
  );
}
