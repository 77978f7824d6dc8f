export * from './compressor.js';
export * from './embeddings.js';
export * from './metadata.js';
export * from './retriever.js';
