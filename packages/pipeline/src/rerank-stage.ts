import { type CandidateStage, type Reranker, rerankCandidates, WinnowError } from '@winnow/core';

export interface RerankOptions {
  /** Candidates kept after stage 2 (the retriever's default result count). Default 5. */
  k?: number;
  /** Candidates (best recalled first) that stage 2 scores; the rest follow them in recall order. Default: all. */
  depth?: number;
  /** Passages per reranker call. Default 16. */
  batchSize?: number;
}

/**
 * The rerank stage (stage 2): scores the first `depth` candidates with the reranker (core's one rerank loop) and
 * returns them best first, followed by the unscored rest in their incoming order. Fusion then puts the unscored
 * below the scored, so a shallow stage 2 reorders the top but never drops what recall found.
 */
export function rerankStage(reranker: Reranker, options: Omit<RerankOptions, 'k'> = {}): CandidateStage {
  const depth = options.depth ?? Number.POSITIVE_INFINITY;
  const batchSize = options.batchSize ?? 16;
  if (!(depth > 0) || !(batchSize > 0)) {
    throw new WinnowError('E_CONFIG_INVALID', 'rerank.depth and rerank.batchSize must be positive', {
      field: !(depth > 0) ? 'rerank.depth' : 'rerank.batchSize',
    });
  }
  return {
    name: 'rerank',
    async run(query, candidates, { signal, principal }) {
      if (candidates.length === 0) return [];
      const scored = await rerankCandidates(reranker, query, candidates.slice(0, depth), {
        batchSize,
        ...(signal === undefined ? {} : { signal }),
        ...(principal === undefined ? {} : { principal }),
      });
      return [...scored, ...candidates.slice(depth)];
    },
  };
}
