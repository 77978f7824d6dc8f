import { studentTTwoSided } from './incomplete-beta.js';
import { mean, pairedDifferences } from './paired.js';

export interface TTestResult {
  /** Mean of a[i] - b[i]. */
  meanDifference: number;
  standardError: number;
  t: number;
  degreesOfFreedom: number;
  /** Two-sided. */
  pValue: number;
}

/**
 * Paired two-sided Student's t-test on per-query values of two systems over the same queries.
 * When every difference is equal the variance is 0: p is 1 if they are all 0, else 0.
 */
export function pairedTTest(a: readonly number[], b: readonly number[]): TTestResult {
  const differences = pairedDifferences(a, b, 2);
  const n = differences.length;
  const meanDifference = mean(differences);
  let squares = 0;
  for (const difference of differences) squares += (difference - meanDifference) ** 2;
  const standardError = Math.sqrt(squares / (n - 1) / n);
  const degreesOfFreedom = n - 1;
  if (standardError === 0) {
    const t = meanDifference === 0 ? 0 : Math.sign(meanDifference) * Number.POSITIVE_INFINITY;
    return { meanDifference, standardError, t, degreesOfFreedom, pValue: meanDifference === 0 ? 1 : 0 };
  }
  const t = meanDifference / standardError;
  return { meanDifference, standardError, t, degreesOfFreedom, pValue: studentTTwoSided(t, degreesOfFreedom) };
}
