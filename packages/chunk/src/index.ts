export { createChunker, EXCEEDS_MAX_TOKENS, type WinnowChunker } from './chunker.js';
export { type ApproximateTokenCounterOptions, createApproximateTokenCounter } from './counters/approximate.js';
export {
  createTransformersTokenCounter,
  type ModelTokenCounter,
  type TransformersTokenCounterOptions,
} from './counters/transformers.js';
export {
  type ChunkerOptions,
  type ChunkSettings,
  type ChunkSettingsInput,
  MIN_CONTENT_TOKENS,
  parseChunkSettings,
} from './options.js';
export { reconstructText } from './reconstruct.js';
