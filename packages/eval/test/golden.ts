import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Shared read-only material: WINNOW_SHARED, or the `shared` folder beside the checkout. */
export const SHARED = process.env.WINNOW_SHARED ?? join(import.meta.dirname, '../../../../shared');
export const GOLDEN = join(SHARED, 'eval-golden');
export const DATASETS = join(SHARED, 'datasets');

export interface GoldenCase {
  case: string;
  run: string;
  qrels: string;
  expected: string;
}

export interface GoldenExpected {
  measures: string[];
  queries: {
    in_qrels: number;
    in_run: number;
    evaluated: number;
    qrels_only: string[];
    run_only: string[];
    without_relevant: string[];
  };
  per_query: Record<string, Record<string, number>>;
  mean: Record<string, number>;
  mean_complete: Record<string, number>;
  trec_order?: Record<string, string[]>;
}

export function goldenCases(): GoldenCase[] {
  return JSON.parse(readFileSync(join(GOLDEN, 'cases.json'), 'utf8')) as GoldenCase[];
}

export function goldenExpected(testCase: GoldenCase): GoldenExpected {
  return JSON.parse(readFileSync(join(GOLDEN, testCase.expected), 'utf8')) as GoldenExpected;
}
