import { resolve } from 'node:path';
import { createChunker, createTransformersTokenCounter } from '@winnow/chunk';
import type { Chunker, Embedder, PipelineConfig, Reranker, TokenCounter, VectorStore } from '@winnow/core';
import {
  BUILTIN_EMBED_PROVIDERS,
  BUILTIN_RERANK_PROVIDERS,
  BUILTIN_STORE_DRIVERS,
  parseConfig,
  WinnowError,
} from '@winnow/core';
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
import type { BuildContext, ProviderRegistry } from './registry.js';

/** How a part is built: user providers come from `registry`; their factories get the whole config and baseDir. */
export interface BuildOptions {
  registry?: ProviderRegistry | undefined;
  /** The whole configuration, for registered factories. Default: the defaults with this section. */
  config?: PipelineConfig | undefined;
  baseDir?: string | undefined;
}

const isBuiltin = (builtins: readonly string[], name: string) => builtins.includes(name);

function buildContext(options: BuildOptions, section: Partial<PipelineConfig>): BuildContext {
  return {
    config: options.config ?? { ...parseConfig({}, '<defaults>'), ...section },
    baseDir: options.baseDir ?? process.cwd(),
  };
}

function registryOf(options: BuildOptions): ProviderRegistry {
  if (options.registry) return options.registry;
  // Without a registry only built-in names exist; the error lists them.
  throw new WinnowError('E_CONFIG_INVALID', 'a provider name that is not built in needs a registry', {
    hint: 'pass a ProviderRegistry with the name registered to openPipeline',
  });
}

/** Builds the configured embedder: local transformers.js, an OpenAI-compatible endpoint, or a registered one. */
export async function createEmbedderFromConfig(
  config: PipelineConfig['embed'],
  options: BuildOptions = {},
): Promise<Embedder> {
  if (!isBuiltin(BUILTIN_EMBED_PROVIDERS, config.provider)) {
    const factory = (options.registry ?? registryOf(options)).embedderFactory(config.provider, 'embed.provider');
    return factory(config, buildContext(options, { embed: config }));
  }
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
export async function createRerankerFromConfig(
  config: PipelineConfig['rerank'],
  options: BuildOptions = {},
): Promise<Reranker | undefined> {
  const reranker = isBuiltin(BUILTIN_RERANK_PROVIDERS, config.provider)
    ? await createUncachedReranker(config)
    : await (options.registry ?? registryOf(options)).rerankerFactory(config.provider, 'rerank.provider')(
        config,
        buildContext(options, { rerank: config }),
      );
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
    // Remote and registered embedders may have no local tokenizer: the approximate counter stands in.
    if (config.embed.provider === 'transformers') throw error;
  }
  return createChunker({ ...config.chunk, ...(tokenCounter === undefined ? {} : { tokenCounter }) });
}

/**
 * Opens the configured store for this embedder; a relative PGlite path is taken from `baseDir`. A registered
 * `store.driver` is opened by its factory.
 */
export async function openStoreFromConfig(
  config: PipelineConfig['store'],
  embedder: Pick<Embedder, 'modelId' | 'dimensions'>,
  baseDir = process.cwd(),
  options: { waitForLock?: boolean; accessControl?: boolean } & Omit<BuildOptions, 'baseDir'> = {},
): Promise<VectorStore> {
  if (!isBuiltin(BUILTIN_STORE_DRIVERS, config.driver)) {
    const factory = (options.registry ?? registryOf(options)).storeFactory(config.driver, 'store.driver');
    return factory(config, {
      ...buildContext({ ...options, baseDir }, { store: config }),
      embedder,
      waitForLock: options.waitForLock ?? false,
    });
  }
  return openPgVectorStoreFromConfig(config, embedder, baseDir, options);
}

/** The built-in store (PGlite or a PostgreSQL server), typed as the pgvector store it is. */
export async function openPgVectorStoreFromConfig(
  config: PipelineConfig['store'],
  embedder: Pick<Embedder, 'modelId' | 'dimensions'>,
  baseDir = process.cwd(),
  options: { waitForLock?: boolean; accessControl?: boolean } = {},
): Promise<PgVectorStore> {
  return openPgVectorStore({
    driver: config.driver as 'pglite' | 'postgres',
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
    statementTimeoutMs: config.statementTimeoutMs,
    // Indexers load first and build the ANN index at the end of a run (see createIndexer).
    deferIndex: true,
    waitForLock: options.waitForLock ?? false,
    accessControl: options.accessControl ?? false,
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
    deadlineMs: config.generate.deadlineMs,
    ...(baseURL === undefined ? {} : { baseURL }),
    ...(apiKey === undefined ? {} : { apiKey }),
  });
}
