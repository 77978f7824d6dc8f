import type { CallOptions, Candidate, Reranker } from '@winnow/core';
import { assertQuery } from './scoring.js';

export interface RerankCandidatesOptions extends CallOptions {
  /** Keep only the best k after reranking. Default: all. */
  k?: number;
  /** The text the reranker reads. Default the chunk's clean text. */
  passageOf?: (candidate: Candidate) => string;
}

/**
 * Scores candidates with a reranker and returns them best first, each with `scores.rerank` and `ranks.rerank`
 * (1-based) set beside the scores and ranks of the earlier stages. Ties keep the earlier order. Inputs are not
 * changed.
 */
export async function rerankCandidates(
  reranker: Reranker,
  query: string,
  candidates: readonly Candidate[],
  options: RerankCandidatesOptions = {},
): Promise<Candidate[]> {
  assertQuery(query);
  if (candidates.length === 0) return [];
  const passageOf = options.passageOf ?? ((candidate: Candidate) => candidate.chunk.text);
  const scores = await reranker.score(query, candidates.map(passageOf), { signal: options.signal });
  const order = candidates.map((_, index) => index).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a - b);
  const ranked = order.map((index, position) => {
    const candidate = candidates[index] as Candidate;
    return {
      ...candidate,
      scores: { ...candidate.scores, rerank: scores[index] ?? 0 },
      ranks: { ...candidate.ranks, rerank: position + 1 },
    };
  });
  return options.k === undefined ? ranked : ranked.slice(0, Math.max(0, options.k));
}
