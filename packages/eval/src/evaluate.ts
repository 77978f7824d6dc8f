import { WinnowError } from '@winnow/core';
import { parseMeasures } from './measures.js';
import { type JudgedRanking, measureValue, RELEVANCE_LEVEL } from './metrics.js';
import { rankDocuments } from './ranking.js';
import type { Evaluation, Qrels, QueryCounts, Run } from './types.js';

/**
 * Scores a run against qrels with trec_eval 9 semantics (as pytrec_eval, relevance level 1).
 * `measures` takes trec_eval names (`ndcg_cut_10`, `recip_rank`, `P_5`, `map`, ...) or friendly ones
 * (`ndcg@10`, `mrr@10`, `recall@100`, ...); each result is keyed by the name as given.
 * Only queries present in both the run and the qrels are evaluated.
 */
export function evaluateRun(run: Run, qrels: Qrels, measures: readonly string[]): Evaluation {
  const parsed = parseMeasures(measures);
  const names = parsed.map((measure) => measure.name);
  const queries = countQueries(run, qrels);

  const perQueryEntries: [string, Record<string, number>][] = [];
  const sums = new Map<string, number>(names.map((name) => [name, 0]));
  for (const [queryId, judgments] of qrels) {
    const scores = run.get(queryId);
    if (scores === undefined) continue;
    const ranking = judgeRanking(rankDocuments(scores, queryId), judgments, queryId);
    const values: [string, number][] = parsed.map((measure) => [measure.name, measureValue(measure, ranking)]);
    for (const [name, value] of values) sums.set(name, (sums.get(name) ?? 0) + value);
    perQueryEntries.push([queryId, Object.fromEntries(values)]);
  }

  // Object.fromEntries defines own properties, so an id like "__proto__" is stored like any other.
  const meanOver = (count: number) =>
    Object.fromEntries(names.map((name) => [name, count === 0 ? 0 : (sums.get(name) ?? 0) / count]));
  return {
    measures: names,
    perQuery: Object.fromEntries(perQueryEntries),
    mean: meanOver(queries.evaluated),
    meanComplete: meanOver(queries.inQrels),
    queries,
  };
}

function judgeRanking(
  ranked: readonly string[],
  judgments: ReadonlyMap<string, number>,
  queryId: string,
): JudgedRanking {
  const idealGrades: number[] = [];
  let relevantCount = 0;
  for (const [documentId, grade] of judgments) {
    if (!Number.isFinite(grade)) {
      throw new WinnowError('E_DATASET_INVALID', `document ${JSON.stringify(documentId)} has grade ${grade}`, {
        field: `qrels[${JSON.stringify(queryId)}]`,
      });
    }
    if (grade > 0) idealGrades.push(grade);
    if (grade >= RELEVANCE_LEVEL) relevantCount++;
  }
  idealGrades.sort((a, b) => b - a);
  return { grades: ranked.map((documentId) => judgments.get(documentId) ?? 0), idealGrades, relevantCount };
}

function countQueries(run: Run, qrels: Qrels): QueryCounts {
  const qrelsOnly: string[] = [];
  const withoutRelevant: string[] = [];
  for (const [queryId, judgments] of qrels) {
    if (!run.has(queryId)) qrelsOnly.push(queryId);
    let relevant = false;
    for (const grade of judgments.values()) if (grade >= RELEVANCE_LEVEL) relevant = true;
    if (!relevant) withoutRelevant.push(queryId);
  }
  const runOnly = [...run.keys()].filter((queryId) => !qrels.has(queryId));
  return {
    inQrels: qrels.size,
    inRun: run.size,
    evaluated: qrels.size - qrelsOnly.length,
    qrelsOnly,
    runOnly,
    withoutRelevant,
  };
}
