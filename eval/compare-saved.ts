/**
 * Paired significance between two configurations of a saved `winnow eval` output folder, from its per-query files
 * (`winnow eval` itself compares every configuration with one baseline only).
 *
 *   node --conditions=source --import tsx eval/compare-saved.ts eval/results/scifact bge-dense bge-hybrid+rerank
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareEvaluations, type Evaluation, evaluationFromPerQuery } from '@winnow/eval';

const MEASURES = ['ndcg@10', 'mrr@10', 'recall@100'];

async function load(folder: string, name: string): Promise<Evaluation> {
  const file = join(folder, 'per-query', `${name.replace(/[^A-Za-z0-9._+-]+/g, '_')}.json`);
  return evaluationFromPerQuery(JSON.parse(await readFile(file, 'utf8')), MEASURES);
}

const [folder, baselineName, ...candidates] = process.argv.slice(2);
if (!folder || !baselineName || candidates.length === 0) {
  console.error('usage: compare-saved.ts <results folder> <baseline> <candidate>...');
  process.exit(2);
}
const baseline = await load(folder, baselineName);
for (const name of candidates) {
  const candidate = await load(folder, name);
  for (const measure of MEASURES) {
    const c = compareEvaluations(baseline, candidate, measure, { seed: 42 });
    const sign = c.meanDifference >= 0 ? '+' : '';
    console.log(
      `${name} vs ${baselineName} ${measure}: ${sign}${c.meanDifference.toFixed(4)} (95% CI ${c.differenceInterval.lower.toFixed(4)}..${c.differenceInterval.upper.toFixed(4)}; randomisation p ${c.randomisation.pValue.toFixed(4)}; t-test p ${c.tTest.pValue.toFixed(4)}; ${c.queries} queries)`,
    );
  }
}
