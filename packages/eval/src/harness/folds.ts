import { WinnowError } from '@winnow/core';
import type { BeirDataset } from '../io/beir.js';
import { seededShuffle } from '../stats/random.js';

/** The seed of the fold assignment when none is given: folds are the same in every run. */
export const DEFAULT_FOLD_SEED = 42;

/**
 * Splits query ids into `k` folds of near-equal size: a seeded Fisher–Yates shuffle, then dealt round-robin. Each
 * fold keeps the ids in their input order, so a fold's queries run in file order.
 */
export function assignFolds(queryIds: readonly string[], k: number, seed = DEFAULT_FOLD_SEED): string[][] {
  if (!Number.isInteger(k) || k < 2) {
    throw new WinnowError('E_CONFIG_INVALID', `k-fold tuning needs at least 2 folds, got ${k}`, {
      field: '--tune-folds',
    });
  }
  if (k > queryIds.length) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `${k} folds need at least ${k} queries; the evaluated split has ${queryIds.length}`,
      { field: '--tune-folds' },
    );
  }
  const shuffled = seededShuffle(queryIds, seed, 'tune.seed');
  const foldOf = new Map(shuffled.map((id, i) => [id, i % k]));
  const folds: string[][] = Array.from({ length: k }, () => []);
  for (const id of queryIds) folds[foldOf.get(id) as number]?.push(id);
  return folds;
}

/** The dataset restricted to some of its queries (and their qrels); the corpus is shared. */
export function datasetSubset(dataset: BeirDataset, queryIds: Iterable<string>, split: string): BeirDataset {
  const keep = new Set(queryIds);
  return {
    ...dataset,
    split,
    queries: new Map([...dataset.queries].filter(([id]) => keep.has(id))),
    qrels: new Map([...dataset.qrels].filter(([id]) => keep.has(id))),
  };
}
