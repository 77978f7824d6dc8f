import type { Reranker } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { createCachedReranker, lruScoreStore, rerankCacheKey } from '../src/index.js';

/** A reranker fake that scores a passage by its length and records every passage it was asked to score. */
function countingReranker(modelId = 'fake@q8') {
  const seen: string[][] = [];
  const reranker: Reranker = {
    modelId,
    async score(_query, passages) {
      seen.push([...passages]);
      return passages.map((p) => p.length);
    },
  };
  return { reranker, seen };
}

describe('createCachedReranker', () => {
  it('sends only pairs it has not seen to the model and answers in input order', async () => {
    const { reranker, seen } = countingReranker();
    const cached = createCachedReranker(reranker, { maxEntries: 100 });
    expect(await cached.score('q', ['a', 'bb'])).toEqual([1, 2]);
    expect(await cached.score('q', ['ccc', 'a', 'bb'])).toEqual([3, 1, 2]);
    expect(seen).toEqual([['a', 'bb'], ['ccc']]);
    expect(cached.pairs).toEqual({ computed: 3, cached: 2 });
    // Another query is another pair.
    await cached.score('other', ['a']);
    expect(seen.at(-1)).toEqual(['a']);
  });

  it('keys by model as well, so two models never share scores', () => {
    expect(rerankCacheKey('m1', 'q', 'p')).not.toBe(rerankCacheKey('m2', 'q', 'p'));
    expect(rerankCacheKey('m1', 'q', 'p')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('drops the least recently used score beyond maxEntries', async () => {
    const { reranker, seen } = countingReranker();
    const cached = createCachedReranker(reranker, { maxEntries: 2 });
    await cached.score('q', ['a', 'bb']); // cache: a, bb
    await cached.score('q', ['a']); // a used again: bb is now the oldest
    await cached.score('q', ['ccc']); // cache: a, ccc (bb dropped)
    seen.length = 0;
    await cached.score('q', ['a', 'bb', 'ccc']);
    expect(seen).toEqual([['bb']]);
  });

  it('fails clearly when the wrapped reranker returns the wrong number of scores', async () => {
    const broken: Reranker = { modelId: 'broken', score: async () => [1] };
    await expect(createCachedReranker(broken).score('q', ['a', 'b'])).rejects.toThrow(/1 scores for 2 passages/);
  });

  it('rejects a store size that is not a positive integer, naming the setting', () => {
    expect(() => lruScoreStore(0)).toThrow(expect.objectContaining({ field: 'rerank.cacheEntries' }));
  });
});
