export * from './boost.js';
export * from './dedupe.js';
export * from './diversity.js';
export * from './fusion.js';
export * from './indexer.js';
export * from './query-expansion.js';
export * from './rerank-stage.js';
export * from './retriever.js';
