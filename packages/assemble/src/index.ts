export * from './open-pipeline.js';
export * from './providers.js';
export * from './registry.js';
export * from './retrieval.js';
