import type { Measure } from './measures.js';

/** trec_eval's default relevance level: a document is relevant iff its grade is at least this. */
export const RELEVANCE_LEVEL = 1;

/** One query's ranking seen through its judgments: all that every measure needs. */
export interface JudgedRanking {
  /** The grade of each ranked document, best first; 0 for unjudged ones. */
  grades: number[];
  /** The query's positive grades, largest first: the ideal ranking for nDCG. */
  idealGrades: number[];
  /** R: how many documents of the query are relevant. */
  relevantCount: number;
}

/** The value of one measure for one query, with trec_eval semantics (see the package README). */
export function measureValue(measure: Measure, ranking: JudgedRanking): number {
  const { grades, relevantCount } = ranking;
  // trec_eval gives every measure 0 to a query without relevant documents.
  if (relevantCount === 0) return 0;
  const k = measure.k ?? grades.length;
  switch (measure.kind) {
    case 'ndcg':
      return ndcg(ranking, Number.POSITIVE_INFINITY);
    case 'ndcg_cut':
      return ndcg(ranking, k);
    case 'recip_rank':
      return reciprocalRank(grades, grades.length);
    case 'mrr_cut':
      return reciprocalRank(grades, k);
    case 'map':
      return averagePrecision(grades, grades.length, relevantCount);
    case 'map_cut':
      return averagePrecision(grades, k, relevantCount);
    case 'P':
      // The divisor stays k even when fewer documents were retrieved.
      return relevantInTop(grades, k) / k;
    case 'recall':
      return relevantInTop(grades, k) / relevantCount;
    case 'Rprec':
      return relevantInTop(grades, relevantCount) / relevantCount;
    case 'success':
      return relevantInTop(grades, k) > 0 ? 1 : 0;
  }
}

function isRelevant(grade: number): boolean {
  return grade >= RELEVANCE_LEVEL;
}

function relevantInTop(grades: readonly number[], k: number): number {
  const end = Math.min(k, grades.length);
  let count = 0;
  for (let i = 0; i < end; i++) if (isRelevant(grades[i] as number)) count++;
  return count;
}

function reciprocalRank(grades: readonly number[], k: number): number {
  const end = Math.min(k, grades.length);
  for (let i = 0; i < end; i++) if (isRelevant(grades[i] as number)) return 1 / (i + 1);
  return 0;
}

/** Sum of precision at each relevant rank within the top k, divided by R (not by the relevant found). */
function averagePrecision(grades: readonly number[], k: number, relevantCount: number): number {
  const end = Math.min(k, grades.length);
  let found = 0;
  let sum = 0;
  for (let i = 0; i < end; i++) {
    if (isRelevant(grades[i] as number)) {
      found++;
      sum += found / (i + 1);
    }
  }
  return sum / relevantCount;
}

/** Linear gains (gain = grade) as trec_eval and BEIR; negative grades gain nothing. */
function discountedGain(grades: readonly number[], k: number): number {
  const end = Math.min(k, grades.length);
  let sum = 0;
  for (let i = 0; i < end; i++) {
    const grade = grades[i] as number;
    if (grade > 0) sum += grade / Math.log2(i + 2);
  }
  return sum;
}

function ndcg(ranking: JudgedRanking, k: number): number {
  const ideal = discountedGain(ranking.idealGrades, k);
  return ideal > 0 ? discountedGain(ranking.grades, k) / ideal : 0;
}
