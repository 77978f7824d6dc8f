export { type EmbeddingCache, embeddingCacheKey, LruEmbeddingCache } from './cache.js';
export { probeComputeDevices } from './devices.js';
export type { ModelProfile, Pooling } from './model-profile.js';
export { OpenAICompatibleEmbedder, type OpenAICompatibleEmbedderOptions } from './openai-embedder.js';
export { type FamilyPrefixes, familyPrefixes } from './prefixes.js';
export {
  createTransformersEmbedder,
  TransformersEmbedder,
  type TransformersEmbedderOptions,
} from './transformers-embedder.js';
export { cosineSimilarity, l2NormalizeInPlace, maxAbsDifference } from './vector-math.js';
