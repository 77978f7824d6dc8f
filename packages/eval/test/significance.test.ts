import { join } from 'node:path';
import { isWinnowError } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import {
  bootstrapCi,
  compareEvaluations,
  evaluateRun,
  pairedBootstrapCi,
  pairedRandomisationTest,
  pairedTTest,
  readQrels,
  readTrecRun,
} from '../src/index.js';
import { GOLDEN } from './golden.js';

/** Deterministic test data: a small linear congruential generator and Box-Muller normals. */
function sampleNormal(count: number, seed: number, mean = 0, sd = 1): number[] {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  return Array.from({ length: count }, () => {
    const radius = Math.sqrt(-2 * Math.log(uniform()));
    return mean + sd * radius * Math.cos(2 * Math.PI * uniform());
  });
}

function expectCode(action: () => unknown, code: string): void {
  try {
    action();
  } catch (error) {
    expect(isWinnowError(error) && error.code).toBe(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe('pairedTTest', () => {
  it('computes a hand-worked example: differences 1..5 give t = 3 / (√2.5 / √5), df 4', () => {
    const result = pairedTTest([2, 4, 6, 8, 10], [1, 2, 3, 4, 5]);
    expect(result.meanDifference).toBe(3);
    expect(result.standardError).toBeCloseTo(Math.sqrt(2.5 / 5), 14);
    expect(result.t).toBeCloseTo(3 / Math.sqrt(0.5), 12);
    expect(result.degreesOfFreedom).toBe(4);
    // t = 4.2426 with 4 df lies between the 0.02 (3.747) and 0.01 (4.604) two-sided critical values.
    expect(result.pValue).toBeGreaterThan(0.01);
    expect(result.pValue).toBeLessThan(0.02);
    // With 4 df the two-sided p has a closed form: 1 - √x (1 + (1 - x) / 2), x = t² / (t² + 4).
    const x = result.t ** 2 / (result.t ** 2 + 4);
    expect(result.pValue).toBeCloseTo(1 - Math.sqrt(x) * (1 + (1 - x) / 2), 13);
  });

  it('gives p = 0.05 for differences whose t is the df = 9 critical value 2.262', () => {
    // Ten differences with mean m and sd s have t = m / (s / √10); pick them so t = 2.2621571628 (df 9).
    const base = [-1, 1, -1, 1, -1, 1, -1, 1, -1, 1];
    const sd = Math.sqrt(10 / 9);
    const shift = (2.2621571628 * sd) / Math.sqrt(10);
    const b = base.map(() => 0);
    const a = base.map((value) => value + shift);
    const result = pairedTTest(a, b);
    expect(result.t).toBeCloseTo(2.2621571628, 9);
    expect(result.pValue).toBeCloseTo(0.05, 9);
  });

  it('gives p = 1 for identical systems and p = 0 for a constant non-zero difference', () => {
    const values = sampleNormal(40, 1, 0.5, 0.1);
    expect(pairedTTest(values, values)).toMatchObject({ t: 0, pValue: 1, meanDifference: 0 });
    const shifted = pairedTTest(
      values.map((v) => v + 0.25),
      values.map((v) => v - 0.25),
    );
    expect(shifted.pValue).toBeLessThan(1e-12);
  });

  it('refuses lists that do not pair up or have fewer than two values', () => {
    expectCode(() => pairedTTest([1, 2, 3], [1, 2]), 'E_DATASET_INVALID');
    expectCode(() => pairedTTest([1], [2]), 'E_EMPTY_INPUT');
    expectCode(() => pairedTTest([1, Number.NaN], [2, 3]), 'E_DATASET_INVALID');
  });
});

describe('pairedRandomisationTest', () => {
  it('gives p = 1 for identical systems', () => {
    const values = sampleNormal(300, 2);
    expect(pairedRandomisationTest(values, values).pValue).toBe(1);
    expect(pairedRandomisationTest(values, [...values]).pValue).toBe(1);
  });

  it('enumerates every sign assignment for few queries: hand-counted exact p-values', () => {
    // Differences 1,1,1,1,1: only all-plus and all-minus reach |sum| 5, so p = 2/32.
    const five = pairedRandomisationTest([2, 2, 2, 2, 2], [1, 1, 1, 1, 1]);
    expect(five).toMatchObject({ pValue: 2 / 32, trials: 32, exact: true, meanDifference: 1 });
    // Differences 1,2,3: |±1±2±3| >= 6 only for +++ and ---, so p = 2/8.
    expect(pairedRandomisationTest([1, 2, 3], [0, 0, 0]).pValue).toBe(0.25);
    // Differences 3,-1: sums 2, 4, -4, -2; |sum| >= 2 always, so p = 1.
    expect(pairedRandomisationTest([3, 0], [0, 1]).pValue).toBe(1);
  });

  it('gives a small p for a clearly better system', () => {
    const baseline = sampleNormal(100, 3, 0.5, 0.2);
    const better = baseline.map((value, i) => value + 0.1 + 0.05 * (sampleNormal(100, 4)[i] as number));
    const result = pairedRandomisationTest(better, baseline);
    expect(result.exact).toBe(false);
    expect(result.trials).toBe(10_000);
    // No random assignment comes close, so p is the smallest a 10,000-trial test can give.
    expect(result.pValue).toBe(1 / 10_001);
    expect(result.meanDifference).toBeGreaterThan(0.09);
  });

  it('estimates the exact p-value by sampling', () => {
    const a = sampleNormal(20, 5, 0.1, 1);
    const b = sampleNormal(20, 6, 0, 1).map((value, i) => value + 0.3 * (a[i] as number));
    const exact = pairedRandomisationTest(a, b, { trials: 2 ** 20 });
    expect(exact.exact).toBe(true);
    const sampled = pairedRandomisationTest(a, b, { trials: 20_000, seed: 11 });
    expect(sampled.exact).toBe(false);
    expect(Math.abs(sampled.pValue - exact.pValue)).toBeLessThan(0.015);
    // The t-test tells a similar story on the same data.
    expect(Math.abs(pairedTTest(a, b).pValue - exact.pValue)).toBeLessThan(0.1);
  });

  it('is deterministic for a seed', () => {
    const a = sampleNormal(60, 7);
    const b = sampleNormal(60, 8);
    const first = pairedRandomisationTest(a, b, { seed: 42, trials: 5000 });
    expect(pairedRandomisationTest(a, b, { seed: 42, trials: 5000 })).toEqual(first);
    expect(first.pValue).toBeGreaterThan(0);
    expect(first.pValue).toBeLessThanOrEqual(1);
  });

  it('refuses bad options', () => {
    expectCode(() => pairedRandomisationTest([1, 2], [2, 1], { trials: 0 }), 'E_CONFIG_INVALID');
    expectCode(() => pairedRandomisationTest([1, 2], [2, 1], { seed: 1.5 }), 'E_CONFIG_INVALID');
    expectCode(() => pairedRandomisationTest([], []), 'E_EMPTY_INPUT');
  });
});

describe('bootstrapCi', () => {
  it('contains the sample mean and narrows with more queries', () => {
    const few = bootstrapCi(sampleNormal(20, 9, 0.6, 0.2), { seed: 1 });
    const many = bootstrapCi(sampleNormal(500, 10, 0.6, 0.2), { seed: 1 });
    for (const interval of [few, many]) {
      expect(interval.lower).toBeLessThan(interval.mean);
      expect(interval.upper).toBeGreaterThan(interval.mean);
      expect(interval).toMatchObject({ confidence: 0.95, resamples: 1000 });
    }
    const width = (interval: { lower: number; upper: number }) => interval.upper - interval.lower;
    // The standard error shrinks with √n: 500 queries give an interval about 5 times narrower than 20.
    expect(width(many)).toBeLessThan(width(few) / 3);
    // About ±1.96 standard errors of the mean.
    expect(width(many)).toBeCloseTo((2 * 1.96 * 0.2) / Math.sqrt(500), 2);
  });

  it('is deterministic for a seed and wider at higher confidence', () => {
    const values = sampleNormal(80, 12);
    const interval = bootstrapCi(values, { seed: 3 });
    expect(bootstrapCi(values, { seed: 3 })).toEqual(interval);
    const wide = bootstrapCi(values, { seed: 3, confidence: 0.99 });
    expect(wide.lower).toBeLessThan(interval.lower);
    expect(wide.upper).toBeGreaterThan(interval.upper);
  });

  it('collapses to the value when every value is the same', () => {
    const interval = bootstrapCi([0.4, 0.4, 0.4], { resamples: 50 });
    expect(interval.mean).toBeCloseTo(0.4, 14);
    expect(interval.lower).toBeCloseTo(0.4, 14);
    expect(interval.upper).toBeCloseTo(0.4, 14);
  });

  it('bootstraps paired differences', () => {
    const a = sampleNormal(200, 13, 0.7, 0.1);
    const b = a.map((value) => value - 0.05);
    const interval = pairedBootstrapCi(a, b, { seed: 5 });
    expect(interval.mean).toBeCloseTo(0.05, 12);
    expect(interval.lower).toBeCloseTo(0.05, 12);
    expect(interval.upper).toBeCloseTo(0.05, 12);
  });

  it('refuses bad options and empty input', () => {
    expectCode(() => bootstrapCi([1, 2], { confidence: 1.5 }), 'E_CONFIG_INVALID');
    expectCode(() => bootstrapCi([1, 2], { resamples: 0 }), 'E_CONFIG_INVALID');
    expectCode(() => bootstrapCi([]), 'E_EMPTY_INPUT');
  });
});

describe('compareEvaluations', () => {
  it('compares two real runs over the same ADI queries', async () => {
    const qrels = await readQrels(join(GOLDEN, 'qrels/adi.tsv'));
    const bm25 = evaluateRun(await readTrecRun(join(GOLDEN, 'runs/adi-bm25.trec')), qrels, ['ndcg@10', 'recall@10']);
    const single = evaluateRun(await readTrecRun(join(GOLDEN, 'runs/single.trec')), qrels, ['ndcg@10', 'recall@10']);
    const comparison = compareEvaluations(single, bm25, 'recall@10', { seed: 1 });
    expect(comparison.queries).toBe(35);
    expect(comparison.baselineMean).toBeCloseTo(single.mean['recall@10'] as number, 12);
    expect(comparison.candidateMean).toBeCloseTo(bm25.mean['recall@10'] as number, 12);
    expect(comparison.meanDifference).toBeCloseTo(comparison.candidateMean - comparison.baselineMean, 12);
    // Ten documents find more relevant ones than one.
    expect(comparison.meanDifference).toBeGreaterThan(0);
    expect(comparison.tTest.pValue).toBeLessThan(0.001);
    expect(comparison.randomisation.pValue).toBeLessThan(0.001);
    expect(comparison.differenceInterval.lower).toBeGreaterThan(0);

    const same = compareEvaluations(bm25, bm25, 'ndcg@10');
    expect(same.tTest.pValue).toBe(1);
    expect(same.randomisation.pValue).toBe(1);
  });

  it('refuses evaluations over different queries or without the measure', async () => {
    const qrels = await readQrels(join(GOLDEN, 'qrels/adi.tsv'));
    const full = evaluateRun(await readTrecRun(join(GOLDEN, 'runs/adi-bm25.trec')), qrels, ['ndcg@10']);
    const partial = evaluateRun(await readTrecRun(join(GOLDEN, 'runs/missing-queries.trec')), qrels, ['ndcg@10']);
    expectCode(() => compareEvaluations(full, partial, 'ndcg@10'), 'E_DATASET_INVALID');
    expectCode(() => compareEvaluations(full, full, 'map'), 'E_CONFIG_INVALID');
  });
});
