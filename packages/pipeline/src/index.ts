export * from './dedupe.js';
export * from './from-config.js';
export * from './fusion.js';
export * from './indexer.js';
export * from './retriever.js';
