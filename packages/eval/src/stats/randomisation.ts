import { WinnowError } from '@winnow/core';
import { mean, pairedDifferences } from './paired.js';
import { seededRandom } from './random.js';

/** Beyond this many queries enumeration would take too long (2^24 sign assignments). */
const MAX_ENUMERATED_QUERIES = 24;

export interface RandomisationOptions {
  /** Random sign assignments to draw. Default 10,000. */
  trials?: number;
  /** Seed of the random generator (32-bit). Default 0. */
  seed?: number;
}

export interface RandomisationResult {
  /** Mean of a[i] - b[i]. */
  meanDifference: number;
  /** Two-sided. */
  pValue: number;
  /** Sign assignments examined: `trials`, or all 2^n when that is no more. */
  trials: number;
  /** True when every sign assignment was enumerated, so the p-value is exact. */
  exact: boolean;
}

/**
 * Two-sided paired randomisation (permutation) test. Under the null hypothesis the two systems are
 * exchangeable on each query, so each per-query difference keeps or flips its sign with equal chance;
 * p is the share of sign assignments whose mean difference is at least as far from 0 as the observed one.
 * With few queries (2^n <= trials, n <= 24) every assignment is enumerated and p is exact; otherwise `trials`
 * assignments are drawn and p = (hits + 1) / (trials + 1), which never understates the true p.
 */
export function pairedRandomisationTest(
  a: readonly number[],
  b: readonly number[],
  options: RandomisationOptions = {},
): RandomisationResult {
  const differences = pairedDifferences(a, b);
  const trials = options.trials ?? 10_000;
  if (!Number.isSafeInteger(trials) || trials < 1) {
    throw new WinnowError('E_CONFIG_INVALID', `trials must be a positive integer, got ${trials}`, {
      field: 'options.trials',
    });
  }
  const random = seededRandom(options.seed ?? 0);
  const meanDifference = mean(differences);
  const n = differences.length;

  let observed = 0;
  let scale = 0;
  for (const difference of differences) {
    observed += difference;
    scale += Math.abs(difference);
  }
  const enumerate = n <= MAX_ENUMERATED_QUERIES && 2 ** n <= trials;
  if (scale === 0) return { meanDifference, pValue: 1, trials: enumerate ? 2 ** n : trials, exact: enumerate };
  // Sums that are equal in exact arithmetic may differ in the last bits once reordered by sign flips.
  const threshold = Math.abs(observed) - 1e-12 * scale;

  if (enumerate) {
    const assignments = 2 ** n;
    let hits = 0;
    for (let mask = 0; mask < assignments; mask++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += (mask >>> i) & 1 ? -(differences[i] as number) : (differences[i] as number);
      if (Math.abs(sum) >= threshold) hits++;
    }
    return { meanDifference, pValue: hits / assignments, trials: assignments, exact: true };
  }

  let hits = 0;
  for (let trial = 0; trial < trials; trial++) {
    let sum = 0;
    let word = 0;
    for (let i = 0; i < n; i++) {
      // One 32-bit draw gives the signs of 32 queries.
      if ((i & 31) === 0) word = random.bits();
      sum += (word >>> (i & 31)) & 1 ? -(differences[i] as number) : (differences[i] as number);
    }
    if (Math.abs(sum) >= threshold) hits++;
  }
  return { meanDifference, pValue: (hits + 1) / (trials + 1), trials, exact: false };
}
