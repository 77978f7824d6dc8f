export { type RerankCandidatesOptions, rerankCandidates } from './candidates.js';
export {
  CrossEncoderReranker,
  type CrossEncoderRerankerOptions,
  createCrossEncoderReranker,
  type QueryPassagePair,
} from './cross-encoder.js';
export { HttpReranker, type HttpRerankerOptions, type RerankFlavor } from './http-reranker.js';
export {
  type CachedReranker,
  type CachedRerankerOptions,
  createCachedReranker,
  lruScoreStore,
  type RerankScoreStore,
  rerankCacheKey,
} from './score-cache.js';
export { relevanceFromLogits } from './scoring.js';
