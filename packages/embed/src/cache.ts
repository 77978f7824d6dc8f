import { textHash, WinnowError } from '@winnow/core';

/**
 * Stored embeddings by key, so unchanged texts are never embedded twice. Any store can back it (a Map, Redis,
 * the vector store's own table); calls are batched and may be synchronous or not.
 */
export interface EmbeddingCache {
  /** One entry per key, undefined where nothing is stored. */
  getMany(keys: readonly string[]): Promise<(Float32Array | undefined)[]> | (Float32Array | undefined)[];
  setMany(entries: ReadonlyArray<readonly [string, Float32Array]>): Promise<void> | void;
}

/**
 * The cache key of one input: the embedder's modelId (model, dtype and numeric settings) and the hash of the
 * normalised text actually embedded (prefix included, since query and document prefixes give different vectors).
 */
export function embeddingCacheKey(modelId: string, input: string): string {
  return `${modelId}\u0000${textHash(input)}`;
}

/** The default cache: in memory, least recently used entries dropped beyond `maxEntries`. */
export class LruEmbeddingCache implements EmbeddingCache {
  private readonly entries = new Map<string, Float32Array>();
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries = 50_000) {}

  get size(): number {
    return this.entries.size;
  }

  getMany(keys: readonly string[]): (Float32Array | undefined)[] {
    return keys.map((key) => {
      const vector = this.entries.get(key);
      if (vector === undefined) {
        this.misses += 1;
        return undefined;
      }
      this.hits += 1;
      // Re-inserting moves the key to the young end of the Map's insertion order.
      this.entries.delete(key);
      this.entries.set(key, vector);
      return vector;
    });
  }

  setMany(entries: ReadonlyArray<readonly [string, Float32Array]>): void {
    for (const [key, vector] of entries) {
      this.entries.delete(key);
      this.entries.set(key, vector);
    }
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * Serves the inputs the cache holds and computes only the rest (`compute` gets their positions and returns their
 * vectors in that order), then stores what was computed. Vectors are copied in and out so callers may mutate them.
 */
export async function embedThroughCache(
  inputs: readonly string[],
  modelId: string,
  cache: EmbeddingCache | undefined,
  compute: (positions: number[]) => Promise<Float32Array[]>,
): Promise<Float32Array[]> {
  if (cache === undefined) return compute(inputs.map((_, index) => index));
  const keys = inputs.map((input) => embeddingCacheKey(modelId, input));
  const cached = await cache.getMany(keys);
  const vectors: (Float32Array | undefined)[] = cached.map((vector) => vector?.slice());
  // Duplicates inside one call are computed once.
  const firstPositionOfKey = new Map<string, number>();
  keys.forEach((key, index) => {
    if (vectors[index] === undefined && !firstPositionOfKey.has(key)) firstPositionOfKey.set(key, index);
  });
  const missing = [...firstPositionOfKey.values()];
  if (missing.length > 0) {
    const computed = await compute(missing);
    const byKey = new Map<string, Float32Array>();
    missing.forEach((position, i) => {
      const vector = computed[i];
      const key = keys[position];
      if (vector !== undefined && key !== undefined) byKey.set(key, vector);
    });
    keys.forEach((key, index) => {
      if (vectors[index] === undefined) vectors[index] = byKey.get(key)?.slice();
    });
    await cache.setMany([...byKey].map(([key, vector]) => [key, vector.slice()] as const));
  }
  return vectors.map((vector, index) => {
    if (vector === undefined)
      throw new WinnowError('E_INTERNAL', 'an input got no vector', { field: `texts[${index}]` });
    return vector;
  });
}
