export { type RerankCandidatesOptions, rerankCandidates } from './candidates.js';
export {
  CrossEncoderReranker,
  type CrossEncoderRerankerOptions,
  createCrossEncoderReranker,
  type QueryPassagePair,
} from './cross-encoder.js';
export { HttpReranker, type HttpRerankerOptions, type RerankFlavor } from './http-reranker.js';
export { relevanceFromLogits } from './scoring.js';
