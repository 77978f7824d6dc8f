import {
  type CallOptions,
  type Candidate,
  type Embedder,
  type Filter,
  parseFilter,
  type RecallMode,
  type Reranker,
  type RetrievalResult,
  type StageTimings,
  throwIfAborted,
  type VectorStore,
  WinnowError,
} from '@winnow/core';
import { collapseDuplicates } from './dedupe.js';
import { DEFAULT_FUSION, type FusionOptions, fuseStages } from './fusion.js';

export interface RecallOptions {
  /** Candidates recalled by stage 1. Default 50. */
  k?: number;
  mode?: RecallMode;
  efSearch?: number;
  filter?: Filter;
  rrfK?: number;
  denseWeight?: number;
  lexicalWeight?: number;
}

export interface RerankOptions {
  /** Candidates kept after stage 2. Default 5. */
  k?: number;
  /** Candidates (best recalled first) that stage 2 scores; the rest follow them in recall order. Default: all. */
  depth?: number;
  /** Passages per reranker call. Default 16. */
  batchSize?: number;
}

export interface RetrieverOptions {
  embedder?: Embedder;
  store: VectorStore;
  reranker?: Reranker;
  recall?: RecallOptions;
  rerank?: RerankOptions;
  fusion?: Partial<FusionOptions>;
  /** Collapse near-duplicate chunks before reranking. Default true. */
  dedupe?: boolean;
}

export interface RetrieveOptions extends CallOptions {
  /** Overrides the configured filter for this query. */
  filter?: Filter;
  /** Overrides the number of results kept. */
  k?: number;
}

export interface Retriever {
  retrieve(query: string, options?: RetrieveOptions): Promise<RetrievalResult>;
}

const since = (start: number) => Math.round((performance.now() - start) * 1000) / 1000;

/**
 * Two-stage retrieval: stage 1 recalls `recall.k` candidates from the store (dense, lexical or hybrid), stage 2
 * reranks them with a cross-encoder and keeps `rerank.k`. Every candidate keeps each stage's score and rank.
 * Without a reranker, the recall order is final and `rerank.k` results are returned.
 */
export function createRetriever(options: RetrieverOptions): Retriever {
  const mode = options.recall?.mode ?? (options.embedder ? 'hybrid' : 'lexical');
  if (mode !== 'lexical' && !options.embedder) {
    throw new WinnowError('E_CONFIG_INVALID', `recall mode '${mode}' needs an embedder`, { field: 'recall.mode' });
  }
  const recallK = options.recall?.k ?? 50;
  const keep = options.rerank?.k ?? 5;
  const batchSize = options.rerank?.batchSize ?? 16;
  const depth = options.rerank?.depth ?? Number.POSITIVE_INFINITY;
  const fusion: FusionOptions = { ...DEFAULT_FUSION, ...options.fusion };
  const configuredFilter =
    options.recall?.filter === undefined ? undefined : parseFilter(options.recall.filter, 'recall.filter');
  if (!(recallK > 0) || !(keep > 0) || !(batchSize > 0) || !(depth > 0)) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      'recall.k, rerank.k, rerank.depth and rerank.batchSize must be positive',
      {
        field: 'recall.k',
      },
    );
  }

  return {
    async retrieve(query, callOptions = {}) {
      const { signal } = callOptions;
      const started = performance.now();
      const text = query.trim();
      if (text.length === 0) throw new WinnowError('E_EMPTY_QUERY', 'the query is empty', { field: 'query' });
      const filter = callOptions.filter === undefined ? configuredFilter : parseFilter(callOptions.filter, 'filter');
      const timings: StageTimings = { totalMs: 0 };
      throwIfAborted(signal, 'retrieval');

      let vector: Float32Array | undefined;
      if (mode !== 'lexical' && options.embedder) {
        const t = performance.now();
        const batch = await options.embedder.embed([text], { inputType: 'query', signal });
        vector = batch.vectors[0];
        timings.embedMs = since(t);
      }
      throwIfAborted(signal, 'retrieval');

      let t = performance.now();
      const recalled = await options.store.search(
        {
          mode,
          k: recallK,
          vector,
          text,
          filter,
          efSearch: options.recall?.efSearch,
          rrfK: options.recall?.rrfK,
          denseWeight: options.recall?.denseWeight,
          lexicalWeight: options.recall?.lexicalWeight,
        },
        { signal },
      );
      timings.recallMs = since(t);

      let candidates: Candidate[] = recalled;
      if (options.dedupe !== false) {
        t = performance.now();
        candidates = collapseDuplicates(candidates);
        timings.dedupeMs = since(t);
      }

      // Only the best `depth` recalled candidates are scored; fusion puts the others below them in recall order,
      // so a shallow stage 2 reorders the top but never drops what recall found.
      if (options.reranker && candidates.length > 0) {
        t = performance.now();
        const scored = await rerankAll(options.reranker, text, candidates.slice(0, depth), batchSize, signal);
        candidates = [...scored, ...candidates.slice(depth)];
        timings.rerankMs = since(t);
      }

      t = performance.now();
      const final = fuseStages(candidates, mode, fusion).slice(0, callOptions.k ?? keep);
      timings.fuseMs = since(t);
      timings.totalMs = since(started);
      return { query, candidates: final, recalled: recalled.length, timings };
    },
  };
}

/** Scores every candidate in batches (abort checked between batches) and sets rerank scores and ranks. */
async function rerankAll(
  reranker: Reranker,
  query: string,
  candidates: Candidate[],
  batchSize: number,
  signal: AbortSignal | undefined,
): Promise<Candidate[]> {
  const scores: number[] = [];
  for (let start = 0; start < candidates.length; start += batchSize) {
    throwIfAborted(signal, 'reranking');
    const passages = candidates.slice(start, start + batchSize).map((c) => c.chunk.text);
    const batch = await reranker.score(query, passages, { signal });
    if (batch.length !== passages.length) {
      throw new WinnowError('E_INTERNAL', `reranker returned ${batch.length} scores for ${passages.length} passages`, {
        setting: reranker.modelId,
      });
    }
    scores.push(...batch);
  }
  const order = scores.map((score, index) => ({ score, index })).sort((a, b) => b.score - a.score || a.index - b.index);
  const rank = new Map(order.map((entry, i) => [entry.index, i + 1]));
  return candidates.map((c, i) => ({
    ...c,
    scores: { ...c.scores, rerank: scores[i] },
    ranks: { ...c.ranks, rerank: rank.get(i) },
  }));
}
