import { createReadStream } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Reranker } from '@winnow/core';
import type { CachedReranker, RerankScoreStore } from '@winnow/rerank';

export type { CachedReranker } from '@winnow/rerank';

/**
 * A reranker whose scores are kept on disk (one `key<TAB>score` line per pair, keys from `rerankCacheKey`).
 * Comparing configurations reranks the same (query, passage) pairs again and again; with the cache a second
 * `winnow eval` over the same recall costs lookups only. Scores are reused as computed: quantised models give
 * slightly batch-dependent scores, and a cached score is the one the first run's batch gave.
 */
export async function cachedReranker(reranker: Reranker, file: string): Promise<FileCachedReranker> {
  // Loaded here, not at import, so `@winnow/eval` stays light (see run.ts).
  const { createCachedReranker } = await import('@winnow/rerank');
  const store = await fileScoreStore(file);
  return Object.assign(createCachedReranker(reranker, { store }), { fromFile: store.fromFile });
}

/** A file-cached reranker: `fromFile.hits` counts the cached pairs whose score an earlier run wrote. */
export interface FileCachedReranker extends CachedReranker {
  readonly fromFile: { hits: number };
}

/**
 * Every score of the file in memory; new scores appended to it. Hits on scores the file held when opened are
 * counted apart, so a report can tell pairs of an earlier run from pairs scored earlier in this one.
 */
async function fileScoreStore(file: string): Promise<RerankScoreStore & { fromFile: { hits: number } }> {
  const scores = new Map<string, number>();
  const fromFile = { hits: 0 };
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
  const loaded = new Set(scores.keys());
  return {
    fromFile,
    get: (key) => {
      const score = scores.get(key);
      if (score !== undefined && loaded.has(key)) fromFile.hits += 1;
      return score;
    },
    async set(entries) {
      for (const [key, score] of entries) scores.set(key, score);
      await appendFile(file, entries.map(([key, score]) => `${key}\t${score}\n`).join(''));
    },
  };
}
