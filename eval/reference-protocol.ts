/**
 * The reranker's reference protocol on SciFact test (issue 12): the 6,000 (query, document) pairs of
 * `reference-scifact-bm25top20.json` (golden BM25 top-20) scored one pair per call at 512 tokens by winnow's
 * CrossEncoderReranker, compared logit by logit with the file, then the same protocol on winnow's own lexical top-20
 * (from a saved `winnow eval` run). Prints and writes nDCG@10, R@10, MAP@100 and paired tests; an eval run, not a
 * CI test (about 10 CPU-minutes on 2 cores).
 *
 *   node --conditions=source --import tsx eval/reference-protocol.ts [--lexical-run eval/results/scifact/runs/lexical.trec]
 *     [--out eval/results/scifact/reference-protocol.json] [--logits-cache .winnow/eval-cache/ms-marco-logits.json]
 *
 * Logits are cached by (query, document): one pair per call gives each pair the same logit whatever else is scored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { findSharedModelsDir } from '@winnow/core';
import { compareEvaluations, evaluateRun, loadBeirDataset, type Run, readTrecRun } from '@winnow/eval';
import { CrossEncoderReranker } from '@winnow/rerank';

const MODEL = 'ms-marco-MiniLM-L-12-v2';
const MEASURES = ['ndcg@10', 'recall@10', 'map@100'];
/** The tolerance of the parity tests: one pair per call on a CPU with AVX-512 VNNI. */
const PARITY = 1e-4;

const { values: args } = parseArgs({
  options: {
    'lexical-run': { type: 'string', default: 'eval/results/scifact/runs/lexical.trec' },
    out: { type: 'string', default: 'eval/results/scifact/reference-protocol.json' },
    'logits-cache': { type: 'string', default: '.winnow/eval-cache/ms-marco-scifact-logits.json' },
    depth: { type: 'string', default: '20' },
  },
});
const depth = Number(args.depth);
const models = process.env.WINNOW_MODELS || findSharedModelsDir(process.cwd());
if (!models) throw new Error('set WINNOW_MODELS to shared/models');
const datasetDir = join(dirname(models), 'datasets', 'scifact');
const reference = JSON.parse(readFileSync(join(models, MODEL, 'reference-scifact-bm25top20.json'), 'utf8')) as {
  scores: Record<string, Record<string, number>>;
};
const published = JSON.parse(readFileSync(join(models, MODEL, 'reference.json'), 'utf8')).scifact_test.figures;

const dataset = await loadBeirDataset(datasetDir, { split: 'test' });
const passages = new Map<string, string>();
for await (const doc of dataset.corpus())
  passages.set(doc.id, doc.title === '' ? doc.text : `${doc.title} ${doc.text}`);

const cacheFile = args['logits-cache'] as string;
const cache: Record<string, number> = existsSync(cacheFile) ? JSON.parse(readFileSync(cacheFile, 'utf8')) : {};
const reranker = await CrossEncoderReranker.create({ model: MODEL, device: 'cpu', batchSize: 1, maxTokens: 512 });

/** Logits of (query, doc) pairs, one pair per model call, cached. */
async function logitsFor(queryId: string, docIds: readonly string[]): Promise<Map<string, number>> {
  const query = dataset.queries.get(queryId)?.text;
  if (query === undefined) throw new Error(`query ${queryId} is not in SciFact test`);
  const missing = docIds.filter((d) => cache[`${queryId}\t${d}`] === undefined);
  if (missing.length > 0) {
    const rows = await reranker.scoreLogits(missing.map((d) => ({ query, passage: passages.get(d) ?? '' })));
    missing.forEach((d, i) => {
      cache[`${queryId}\t${d}`] = rows[i]?.[0] ?? Number.NaN;
    });
  }
  return new Map(docIds.map((d) => [d, cache[`${queryId}\t${d}`] as number]));
}

/** Each query's top `depth` documents of a first-stage run, best first. */
function topOf(run: Run, k: number): Map<string, string[]> {
  return new Map(
    [...run].map(([q, docs]) => [
      q,
      [...docs]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, k)
        .map(([d]) => d),
    ]),
  );
}

async function rerankRun(firstStage: Map<string, string[]>): Promise<Run> {
  const run: Run = new Map();
  let done = 0;
  for (const [queryId, docs] of firstStage) {
    run.set(queryId, await logitsFor(queryId, docs));
    done += 1;
    if (done % 25 === 0) {
      console.error(`  ${done}/${firstStage.size} queries`);
      await saveCache();
    }
  }
  await saveCache();
  return run;
}

async function saveCache(): Promise<void> {
  await mkdir(dirname(cacheFile), { recursive: true });
  await writeFile(cacheFile, JSON.stringify(cache));
}

const started = performance.now();
// 1. The reference protocol: the file's own pairs.
const golden = new Map(Object.entries(reference.scores).map(([q, docs]) => [q, Object.keys(docs)]));
const goldenReranked = await rerankRun(golden);
const diffs: number[] = [];
for (const [q, docs] of Object.entries(reference.scores)) {
  for (const [d, logit] of Object.entries(docs))
    diffs.push(Math.abs((goldenReranked.get(q)?.get(d) ?? Number.NaN) - logit));
}
diffs.sort((a, b) => a - b);
const referenceEval = evaluateRun(goldenReranked, dataset.qrels, MEASURES);

// 2. The same protocol on winnow's own lexical (BM25 in SQL) top-20.
const lexicalRun = await readTrecRun(args['lexical-run'] as string);
const lexicalTop = topOf(lexicalRun, depth);
const lexicalEval = evaluateRun(lexicalRun, dataset.qrels, MEASURES);
const lexicalReranked = await rerankRun(lexicalTop);
const lexicalRerankedEval = evaluateRun(lexicalReranked, dataset.qrels, MEASURES);
const comparison = compareEvaluations(lexicalEval, lexicalRerankedEval, 'ndcg@10', { seed: 42 });
await reranker.close();

// Means over every judged query (trec_eval -c), as `winnow eval` reports them: a query lexical recall answers with
// nothing (two SciFact test queries) counts as 0 rather than dropping out of the mean.
const round = (x: number) => Math.round(x * 1e4) / 1e4;
const result = {
  model: reranker.modelId,
  protocol: `one (query, title + " " + text) pair per call, ${reranker.maxTokens} tokens, passage cut first`,
  cpuVnni: /\b(avx512_vnni|avx_vnni)\b/.test(readFileSync('/proc/cpuinfo', 'utf8')),
  pairs: diffs.length,
  logitAgreement: {
    maxAbsDiff: diffs.at(-1),
    medianAbsDiff: diffs[Math.floor(diffs.length / 2)],
    overTolerance: diffs.filter((d) => d > PARITY).length,
    tolerance: PARITY,
  },
  bm25GoldenTop20Reranked: {
    ours: Object.fromEntries(MEASURES.map((m) => [m, round(referenceEval.meanComplete[m] ?? 0)])),
    reference: published.ce_rerank_bm25_top20,
    nDCG10Difference: round((referenceEval.meanComplete['ndcg@10'] ?? 0) - published.ce_rerank_bm25_top20['nDCG@10']),
  },
  winnowLexicalTop20Reranked: {
    depth,
    firstStage: Object.fromEntries(MEASURES.map((m) => [m, round(lexicalEval.meanComplete[m] ?? 0)])),
    reranked: Object.fromEntries(MEASURES.map((m) => [m, round(lexicalRerankedEval.meanComplete[m] ?? 0)])),
    nDCG10Gain: round(comparison.meanDifference),
    ci95: [round(comparison.differenceInterval.lower), round(comparison.differenceInterval.upper)],
    randomisationP: round(comparison.randomisation.pValue),
  },
  seconds: Math.round((performance.now() - started) / 1000),
};
await mkdir(dirname(args.out as string), { recursive: true });
await writeFile(args.out as string, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
