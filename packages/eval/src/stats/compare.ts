import { WinnowError } from '@winnow/core';
import type { Evaluation } from '../types.js';
import { type BootstrapOptions, type ConfidenceInterval, pairedBootstrapCi } from './bootstrap.js';
import { mean } from './paired.js';
import { pairedRandomisationTest, type RandomisationOptions, type RandomisationResult } from './randomisation.js';
import { pairedTTest, type TTestResult } from './t-test.js';

export interface PairedValues {
  queryIds: string[];
  baseline: number[];
  candidate: number[];
}

/** Lines up one measure's per-query values of two evaluations; both must cover the same queries. */
export function pairPerQuery(baseline: Evaluation, candidate: Evaluation, measure: string): PairedValues {
  for (const [which, evaluation] of [
    ['baseline', baseline],
    ['candidate', candidate],
  ] as const) {
    if (!evaluation.measures.includes(measure)) {
      throw new WinnowError(
        'E_CONFIG_INVALID',
        `measure ${JSON.stringify(measure)} is not in the ${which} evaluation`,
        {
          field: 'measure',
        },
      );
    }
  }
  const queryIds = Object.keys(baseline.perQuery);
  const missing = queryIds.filter((id) => !Object.hasOwn(candidate.perQuery, id));
  const extra = Object.keys(candidate.perQuery).filter((id) => !Object.hasOwn(baseline.perQuery, id));
  if (missing.length > 0 || extra.length > 0) {
    const list = (ids: string[]) => ids.slice(0, 5).join(', ') + (ids.length > 5 ? ', ...' : '');
    throw new WinnowError(
      'E_DATASET_INVALID',
      `the two evaluations cover different queries (only in baseline: ${missing.length} [${list(missing)}]; only in candidate: ${extra.length} [${list(extra)}])`,
      { field: 'candidate.perQuery', hint: 'evaluate both runs against the same qrels and queries' },
    );
  }
  const value = (evaluation: Evaluation, id: string) => evaluation.perQuery[id]?.[measure] ?? 0;
  return {
    queryIds,
    baseline: queryIds.map((id) => value(baseline, id)),
    candidate: queryIds.map((id) => value(candidate, id)),
  };
}

/** One seed drives both the randomisation test and the bootstrap. */
export type ComparisonOptions = RandomisationOptions & BootstrapOptions;

export interface Comparison {
  measure: string;
  queries: number;
  baselineMean: number;
  candidateMean: number;
  /** candidateMean - baselineMean. */
  meanDifference: number;
  tTest: TTestResult;
  randomisation: RandomisationResult;
  /** Bootstrap interval of the per-query difference (candidate - baseline). */
  differenceInterval: ConfidenceInterval;
}

/** Compares two systems on one measure over the same queries: t-test, randomisation test and bootstrap CI. */
export function compareEvaluations(
  baseline: Evaluation,
  candidate: Evaluation,
  measure: string,
  options: ComparisonOptions = {},
): Comparison {
  const paired = pairPerQuery(baseline, candidate, measure);
  const tTest = pairedTTest(paired.candidate, paired.baseline);
  const randomisation = pairedRandomisationTest(paired.candidate, paired.baseline, options);
  const differenceInterval = pairedBootstrapCi(paired.candidate, paired.baseline, options);
  return {
    measure,
    queries: paired.queryIds.length,
    baselineMean: mean(paired.baseline),
    candidateMean: mean(paired.candidate),
    meanDifference: randomisation.meanDifference,
    tTest,
    randomisation,
    differenceInterval,
  };
}
