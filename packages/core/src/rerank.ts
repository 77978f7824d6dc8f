import type { RerankCallOptions, Reranker } from './contracts.js';
import { throwIfAborted, WinnowError } from './errors.js';
import type { Candidate } from './types.js';

export interface RerankCandidatesOptions extends RerankCallOptions {
  /** Keep only the best k after reranking. Default: all. */
  k?: number;
  /** Passages per reranker call (abort is checked between calls). Default: all in one call. */
  batchSize?: number;
  /** The text the reranker reads. Default the chunk's clean text. */
  passageOf?: (candidate: Candidate) => string;
}

/**
 * The one rerank loop (the retriever's rerank stage and the LangChain compressor use it): scores candidates in
 * batches of `batchSize`, in input order, and returns them best first, each with `scores.rerank` and `ranks.rerank`
 * (1-based) beside the scores and ranks of the earlier stages. Ties keep the input order; inputs are not changed.
 * A reranker that answers a batch with the wrong number of scores fails with E_RERANK_FAILED.
 */
export async function rerankCandidates(
  reranker: Reranker,
  query: string,
  candidates: readonly Candidate[],
  options: RerankCandidatesOptions = {},
): Promise<Candidate[]> {
  if (query.trim().length === 0) throw new WinnowError('E_EMPTY_QUERY', 'the query is empty', { field: 'query' });
  if (candidates.length === 0) return [];
  const batchSize = options.batchSize ?? candidates.length;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new WinnowError('E_CONFIG_INVALID', `must be a positive integer, got ${batchSize}`, {
      field: 'rerank.batchSize',
    });
  }
  const passageOf = options.passageOf ?? ((candidate: Candidate) => candidate.chunk.text);
  const scores: number[] = [];
  for (let start = 0; start < candidates.length; start += batchSize) {
    throwIfAborted(options.signal, 'reranking');
    const passages = candidates.slice(start, start + batchSize).map(passageOf);
    const batch = await reranker.score(query, passages, { signal: options.signal, principal: options.principal });
    if (!Array.isArray(batch) || batch.length !== passages.length) {
      throw new WinnowError(
        'E_RERANK_FAILED',
        `reranker returned ${Array.isArray(batch) ? batch.length : 'no'} scores for ${passages.length} passages`,
        { setting: reranker.modelId },
      );
    }
    scores.push(...batch);
  }
  const order = candidates
    .map((_, index) => index)
    .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  const ranked = order.map((index, position) => {
    const candidate = candidates[index] as Candidate;
    return {
      ...candidate,
      scores: { ...candidate.scores, rerank: scores[index] as number },
      ranks: { ...candidate.ranks, rerank: position + 1 },
    };
  });
  return options.k === undefined ? ranked : ranked.slice(0, Math.max(0, options.k));
}
