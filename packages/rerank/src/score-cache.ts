import { type Principal, type RerankCallOptions, type Reranker, sha256Hex, WinnowError } from '@winnow/core';

/**
 * Where cached rerank scores live. The default keeps the most recently used scores in memory; the eval harness
 * plugs in a file so that comparing configurations re-scores no pair twice across runs.
 */
export interface RerankScoreStore {
  get(key: string): number | undefined;
  set(entries: ReadonlyArray<readonly [key: string, score: number]>): void | Promise<void>;
}

export interface CachedRerankerOptions {
  /** Scores kept in memory, least recently used dropped first. Ignored when `store` is given. */
  maxEntries?: number;
  store?: RerankScoreStore;
}

/** A reranker that answers repeated (model, query, passage) pairs from a cache. */
export interface CachedReranker extends Reranker {
  /** Pairs scored by the model and pairs answered from the cache, so far. */
  readonly pairs: { computed: number; cached: number };
}

/**
 * The cache key of a pair: the model (its id includes dtype and token limit), the query and the passage hashed
 * together, so a key never holds the text itself. Int8 models quantise activations per call, so a cached score is
 * the one its first batch gave (within ~0.5 logit of scoring it alone); callers that need one-pair-per-call
 * scores should score that way before caching. A principal's pairs get keys of their own, so no cached score
 * crosses principals (a shared entry would reveal that another principal's retrieval met the same passage).
 */
export function rerankCacheKey(modelId: string, query: string, passage: string, principal?: Principal): string {
  const who =
    principal === undefined ? '' : `\u0000${JSON.stringify([principal.tenant, [...principal.groups].sort()])}`;
  return sha256Hex(`${modelId}\u0000${query}\u0000${passage}${who}`);
}

/** Wraps a reranker with a score cache; only pairs not in the cache reach the model, in one call per request. */
export function createCachedReranker(reranker: Reranker, options: CachedRerankerOptions = {}): CachedReranker {
  const store = options.store ?? lruScoreStore(options.maxEntries ?? 10_000);
  const pairs = { computed: 0, cached: 0 };
  return {
    modelId: reranker.modelId,
    pairs,
    async score(query: string, passages: readonly string[], callOptions?: RerankCallOptions): Promise<number[]> {
      const keys = passages.map((passage) => rerankCacheKey(reranker.modelId, query, passage, callOptions?.principal));
      const scores = keys.map((key) => store.get(key));
      const missing = scores.flatMap((score, i) => (score === undefined ? [i] : []));
      pairs.computed += missing.length;
      pairs.cached += keys.length - missing.length;
      if (missing.length > 0) {
        const fresh = await reranker.score(
          query,
          missing.map((i) => passages[i] as string),
          callOptions,
        );
        if (fresh.length !== missing.length) {
          throw new WinnowError(
            'E_INTERNAL',
            `reranker returned ${fresh.length} scores for ${missing.length} passages`,
            {
              setting: reranker.modelId,
            },
          );
        }
        missing.forEach((at, j) => {
          scores[at] = fresh[j];
        });
        await store.set(missing.map((at, j) => [keys[at] as string, fresh[j] as number] as const));
      }
      return scores as number[];
    },
    ...(reranker.close ? { close: () => (reranker.close as () => Promise<void>)() } : {}),
  };
}

/** An in-memory store of at most `maxEntries` scores; a Map's insertion order serves as the recency list. */
export function lruScoreStore(maxEntries: number): RerankScoreStore {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new WinnowError('E_CONFIG_INVALID', `must be a positive integer, got ${maxEntries}`, {
      field: 'rerank.cacheEntries',
    });
  }
  const scores = new Map<string, number>();
  return {
    get(key) {
      const score = scores.get(key);
      if (score !== undefined) {
        scores.delete(key);
        scores.set(key, score);
      }
      return score;
    },
    set(entries) {
      for (const [key, score] of entries) {
        scores.delete(key);
        scores.set(key, score);
      }
      for (const key of scores.keys()) {
        if (scores.size <= maxEntries) break;
        scores.delete(key);
      }
    },
  };
}
