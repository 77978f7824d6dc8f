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

/**
 * How many queries moved up, down or not at all, and the three that lost most: a mean difference near zero can hide
 * large gains and losses that cancel (the per-query analysis behind eval/results/scifact/README.md).
 */
function perQueryMovement(baseline: Evaluation, candidate: Evaluation, measure: string): string {
  const changes = Object.keys(baseline.perQuery)
    .filter((id) => candidate.perQuery[id] !== undefined)
    .map((id) => ({ id, change: (candidate.perQuery[id]?.[measure] ?? 0) - (baseline.perQuery[id]?.[measure] ?? 0) }));
  // Below 1e-9 a change is float noise from summing the same gains in another order, not a different ranking.
  const up = changes.filter((c) => c.change > 1e-9).length;
  const down = changes.filter((c) => c.change < -1e-9).length;
  const worst = [...changes].sort((a, b) => a.change - b.change).slice(0, 3);
  const listed = worst.map((c) => `${c.id} ${c.change.toFixed(3)}`).join(', ');
  return `${up} up, ${down} down, ${changes.length - up - down} unchanged; largest losses: ${listed}`;
}

const [folder, baselineName, ...candidates] = process.argv.slice(2);
if (!folder || !baselineName || candidates.length === 0) {
  console.error('usage: compare-saved.ts <results folder> <baseline> <candidate>...');
  process.exit(2);
}
const baseline = await load(folder, baselineName);
for (const name of candidates) {
  const candidate = await load(folder, name);
  console.log(`${name} vs ${baselineName} per query (nDCG@10): ${perQueryMovement(baseline, candidate, 'ndcg@10')}`);
  for (const measure of MEASURES) {
    const c = compareEvaluations(baseline, candidate, measure, { seed: 42 });
    const sign = c.meanDifference >= 0 ? '+' : '';
    console.log(
      `${name} vs ${baselineName} ${measure}: ${sign}${c.meanDifference.toFixed(4)} (95% CI ${c.differenceInterval.lower.toFixed(4)}..${c.differenceInterval.upper.toFixed(4)}; randomisation p ${c.randomisation.pValue.toFixed(4)}; t-test p ${c.tTest.pValue.toFixed(4)}; ${c.queries} queries)`,
    );
  }
}
