/** The k-fold assignment behind `winnow eval --tune-folds`: seeded, disjoint, balanced, in file order. */
import { describe, expect, it } from 'vitest';
import { assignFolds, validateEvalNames } from '../src/index.js';

const ids = Array.from({ length: 23 }, (_, i) => `q${i + 1}`);

describe('assignFolds', () => {
  it('deals every query to exactly one of k near-equal folds, keeping file order within a fold', () => {
    const folds = assignFolds(ids, 5, 7);
    expect(folds.flat().sort()).toEqual([...ids].sort());
    expect(folds.map((f) => f.length).sort()).toEqual([4, 4, 5, 5, 5]);
    for (const fold of folds) expect(fold).toEqual(ids.filter((id) => fold.includes(id)));
  });

  it('is the same for the same seed and differs for another', () => {
    expect(assignFolds(ids, 5, 7)).toEqual(assignFolds(ids, 5, 7));
    expect(assignFolds(ids, 5, 7)).not.toEqual(assignFolds(ids, 5, 8));
    // Not simply every k-th query in file order: the shuffle mixes them.
    expect(assignFolds(ids, 5, 7)[0]).not.toEqual(ids.filter((_, i) => i % 5 === 0));
  });

  it('refuses fewer than 2 folds and more folds than queries, naming --tune-folds', () => {
    expect(() => assignFolds(ids, 1)).toThrow(expect.objectContaining({ field: '--tune-folds' }));
    expect(() => assignFolds(ids.slice(0, 3), 4)).toThrow(/4 folds need at least 4 queries; the evaluated split has 3/);
  });
});

describe('validateEvalNames with folds', () => {
  const configurations = [{ name: 'a' }, { name: 'b' }];
  it('accepts folds on the scored split and refuses the scored split without folds', () => {
    expect(validateEvalNames({ configurations, split: 'test', tuneSplit: 'test', tuneFolds: 5 })).toBe('a');
    expect(() => validateEvalNames({ configurations, split: 'test', tuneSplit: 'test' })).toThrow(/--tune-folds 5/);
    expect(() => validateEvalNames({ configurations, split: 'test', untuned: ['b'] })).toThrow(/nothing is tuned/);
    expect(validateEvalNames({ configurations, split: 'test', untuned: ['b'], tuneFolds: 3 })).toBe('a');
  });
});
