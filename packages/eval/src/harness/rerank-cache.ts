import { createReadStream } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { type CallOptions, type Reranker, sha256Hex } from '@winnow/core';

/**
 * A reranker whose scores are kept on disk, keyed by (model, query, passage). Comparing configurations reranks the
 * same (query, passage) pairs again and again; with the cache a second `winnow eval` over the same recall costs
 * lookups only. Scores are reused as computed: quantised models give slightly batch-dependent scores, and a cached
 * score is the one the first run's batch gave.
 */
export interface CachedReranker extends Reranker {
  /** Pairs scored by the model and pairs answered from the cache, so far. */
  readonly pairs: { computed: number; cached: number };
}

export async function cachedReranker(reranker: Reranker, file: string): Promise<CachedReranker> {
  const scores = new Map<string, number>();
  await mkdir(dirname(file), { recursive: true });
  try {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      const [key, value] = line.split('\t');
      if (key && value !== undefined) scores.set(key, Number(value));
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const pairs = { computed: 0, cached: 0 };
  const keyOf = (query: string, passage: string) => sha256Hex(`${reranker.modelId}\u0000${query}\u0000${passage}`);
  return {
    modelId: reranker.modelId,
    pairs,
    async score(query: string, passages: readonly string[], options?: CallOptions): Promise<number[]> {
      const keys = passages.map((p) => keyOf(query, p));
      const missing = keys.flatMap((key, i) => (scores.has(key) ? [] : [i]));
      pairs.computed += missing.length;
      pairs.cached += keys.length - missing.length;
      if (missing.length > 0) {
        const fresh = await reranker.score(
          query,
          missing.map((i) => passages[i] as string),
          options,
        );
        const lines = missing.map((i, j) => {
          scores.set(keys[i] as string, fresh[j] as number);
          return `${keys[i]}\t${fresh[j]}\n`;
        });
        await appendFile(file, lines.join(''));
      }
      return keys.map((key) => scores.get(key) as number);
    },
    ...(reranker.close ? { close: () => (reranker.close as () => Promise<void>)() } : {}),
  };
}
