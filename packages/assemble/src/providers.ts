import { resolve } from 'node:path';
import { createChunker, createTransformersTokenCounter } from '@winnow/chunk';
import type { Chunker, Embedder, PipelineConfig, Reranker, TokenCounter, VectorStore } from '@winnow/core';
import { WinnowError } from '@winnow/core';
import { createTransformersEmbedder, OpenAICompatibleEmbedder } from '@winnow/embed';
import { openPgVectorStore, type PgVectorStore } from '@winnow/pgvector';
import {
  createContextBuilder,
  createTiktokenCounter,
  encodingForModel,
  OpenAIGenerator,
  type PackingContextBuilder,
} from '@winnow/prompt';
import { createCachedReranker, createCrossEncoderReranker, HttpReranker } from '@winnow/rerank';
import { createRetriever, type Retriever } from './retriever.js';

/** Builds the configured embedder: local transformers.js, or an OpenAI-compatible endpoint. */
export async function createEmbedderFromConfig(config: PipelineConfig['embed']): Promise<Embedder> {
  if (config.provider === 'openai') {
    if (!config.baseURL)
      throw new WinnowError('E_CONFIG_INVALID', 'provider openai needs a baseURL', { field: 'embed.baseURL' });
    if (!config.dimensions) {
      throw new WinnowError('E_CONFIG_INVALID', 'provider openai needs the model dimensions', {
        field: 'embed.dimensions',
      });
    }
    return new OpenAICompatibleEmbedder({
      baseURL: config.baseURL,
      model: config.model,
      dimensions: config.dimensions,
      maxBatchSize: config.batchSize,
      concurrency: config.concurrency,
      maxRetries: config.maxRetries,
      timeoutMs: config.timeoutMs,
      ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
      ...(config.queryPrefix === undefined ? {} : { queryPrefix: config.queryPrefix }),
      ...(config.documentPrefix === undefined ? {} : { documentPrefix: config.documentPrefix }),
    });
  }
  return createTransformersEmbedder({
    model: config.model,
    dtype: config.dtype as 'fp32' | 'fp16' | 'q8',
    device: config.device as 'auto' | 'cpu' | 'cuda' | 'webgpu',
    batchSize: config.batchSize,
    concurrency: config.concurrency,
    ...(config.queryPrefix === undefined ? {} : { queryPrefix: config.queryPrefix }),
    ...(config.documentPrefix === undefined ? {} : { documentPrefix: config.documentPrefix }),
  });
}

/** Builds the configured reranker, or undefined for provider 'none'; `cacheEntries` > 0 adds a score cache. */
export async function createRerankerFromConfig(config: PipelineConfig['rerank']): Promise<Reranker | undefined> {
  const reranker = await createUncachedReranker(config);
  if (reranker === undefined || config.cacheEntries === 0) return reranker;
  return createCachedReranker(reranker, { maxEntries: config.cacheEntries });
}

async function createUncachedReranker(config: PipelineConfig['rerank']): Promise<Reranker | undefined> {
  if (config.provider === 'none') return undefined;
  if (config.provider === 'http') {
    if (!config.baseURL)
      throw new WinnowError('E_CONFIG_INVALID', 'provider http needs a baseURL', { field: 'rerank.baseURL' });
    return new HttpReranker({
      baseURL: config.baseURL,
      model: config.model,
      maxRetries: config.maxRetries,
      timeoutMs: config.timeoutMs,
      ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
    });
  }
  return createCrossEncoderReranker({
    model: config.model,
    dtype: config.dtype as 'fp32' | 'fp16' | 'q8',
    device: config.device as 'auto' | 'cpu' | 'cuda' | 'webgpu',
    batchSize: config.batchSize,
    ...(config.maxTokens === undefined ? {} : { maxTokens: config.maxTokens }),
    ...(config.threads === undefined ? {} : { threads: config.threads }),
  });
}

/**
 * The chunker, counting in the embedding model's own tokens: the local model's tokenizer for transformers.js
 * embedders; for remote embedders the same model name is tried as a tokenizer, else the approximate counter.
 */
export async function createChunkerFromConfig(config: PipelineConfig): Promise<Chunker> {
  let tokenCounter: TokenCounter | undefined;
  try {
    tokenCounter = await createTransformersTokenCounter(config.embed.model, { setting: 'embed.model' });
  } catch (error) {
    if (config.embed.provider !== 'openai') throw error;
  }
  return createChunker({ ...config.chunk, ...(tokenCounter === undefined ? {} : { tokenCounter }) });
}

/** Opens the configured store for this embedder; a relative PGlite path is taken from `baseDir`. */
export async function openStoreFromConfig(
  config: PipelineConfig['store'],
  embedder: Pick<Embedder, 'modelId' | 'dimensions'>,
  baseDir = process.cwd(),
  options: { waitForLock?: boolean } = {},
): Promise<PgVectorStore> {
  return openPgVectorStore({
    driver: config.driver,
    ...(config.driver === 'postgres'
      ? { url: config.url ?? process.env.DATABASE_URL }
      : { path: resolve(baseDir, config.path) }),
    collection: config.collection,
    modelId: embedder.modelId,
    dimensions: embedder.dimensions,
    metric: config.metric,
    index: {
      type: config.index.type,
      m: config.index.m,
      efConstruction: config.index.efConstruction,
      ...(config.index.lists === undefined ? {} : { lists: config.index.lists }),
    },
    halfvec: config.halfvec,
    // Indexers load first and build the ANN index at the end of a run (see createIndexer).
    deferIndex: true,
    waitForLock: options.waitForLock ?? false,
  });
}

export interface RetrieverComponents {
  embedder: Embedder;
  store: VectorStore;
  reranker?: Reranker | undefined;
}

export function createRetrieverFromConfig(config: PipelineConfig, components: RetrieverComponents): Retriever {
  return createRetriever({
    embedder: components.embedder,
    store: components.store,
    ...(components.reranker === undefined ? {} : { reranker: components.reranker }),
    recall: {
      k: config.recall.k,
      mode: config.recall.mode,
      efSearch: config.recall.efSearch,
      rrfK: config.recall.rrfK,
      denseWeight: config.recall.denseWeight,
      lexicalWeight: config.recall.lexicalWeight,
      ...(config.recall.filter === undefined ? {} : { filter: config.recall.filter }),
    },
    rerank: { k: config.rerank.k, depth: config.rerank.depth, batchSize: config.rerank.batchSize },
    fusion: config.fusion,
  });
}

/** The prompt token counter: a tiktoken encoding, or a model's own tokenizer for vLLM models. */
export async function createPromptTokenCounter(config: PipelineConfig): Promise<TokenCounter> {
  const name = config.prompt.tokenizer ?? config.generate.model;
  try {
    encodingForModel(name, config.prompt.tokenizer ? 'prompt.tokenizer' : 'generate.model');
    return createTiktokenCounter(name);
  } catch (error) {
    if (config.prompt.tokenizer === undefined) throw error;
    return createTransformersTokenCounter(config.prompt.tokenizer, { setting: 'prompt.tokenizer' });
  }
}

export async function createContextBuilderFromConfig(config: PipelineConfig): Promise<PackingContextBuilder> {
  return createContextBuilder({
    tokenCounter: await createPromptTokenCounter(config),
    contextWindow: config.prompt.contextWindow,
    answerTokens: config.prompt.answerTokens,
    order: config.prompt.order,
    mergeAdjacent: config.prompt.mergeAdjacent,
    ...(config.prompt.systemTemplate === undefined ? {} : { systemTemplate: config.prompt.systemTemplate }),
    ...(config.prompt.userTemplate === undefined ? {} : { userTemplate: config.prompt.userTemplate }),
  });
}

/** The generator, when an endpoint is configured (generate.baseURL, or an API key for OpenAI itself). */
export function createGeneratorFromConfig(config: PipelineConfig): OpenAIGenerator | undefined {
  const { baseURL, apiKey } = config.generate;
  if (baseURL === undefined && apiKey === undefined) return undefined;
  return new OpenAIGenerator({
    model: config.generate.model,
    temperature: config.generate.temperature,
    maxTokens: config.generate.maxTokens,
    timeoutMs: config.generate.timeoutMs,
    maxRetries: config.generate.maxRetries,
    ...(baseURL === undefined ? {} : { baseURL }),
    ...(apiKey === undefined ? {} : { apiKey }),
  });
}
