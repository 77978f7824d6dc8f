import type {
  CallOptions,
  Chunker,
  Embedder,
  Generator,
  PipelineConfig,
  Principal,
  Reranker,
  RetrievalResult,
  Retriever,
  VectorStore,
} from '@winnow/core';
import {
  BUILTIN_EMBED_PROVIDERS,
  BUILTIN_RERANK_PROVIDERS,
  BUILTIN_STORE_DRIVERS,
  builtinQueryTransformOptionSchemas,
  builtinStageOptionSchemas,
  WinnowError,
} from '@winnow/core';
import { accessAssigner, defaultLoaders } from '@winnow/ingest';
import { createIndexer, type Indexer, type IndexerOptions } from '@winnow/pipeline';
import { type Answer, answer as answerFrom } from '@winnow/prompt';
import {
  createChunkerFromConfig,
  createContextBuilderFromConfig,
  createEmbedderFromConfig,
  createGeneratorFromConfig,
  createRerankerFromConfig,
  openStoreFromConfig,
} from './providers.js';
import { createRegistry, type ProviderRegistry } from './registry.js';
import { createRetrieverFromConfig } from './retrieval.js';

export interface OpenPipelineOptions {
  /** User providers and stages named in the configuration. */
  registry?: ProviderRegistry;
  /** Relative paths in the configuration (PGlite folder) are resolved from here. Default the working directory. */
  baseDir?: string;
  /** When another process holds the store's lock: wait (true) or fail with E_LOCKED (false, default). */
  waitForLock?: boolean;
  /** Loaders for the indexer. Default ingest's `defaultLoaders` with `ingest.pdfPasswords`. */
  loaders?: IndexerOptions['loaders'];
  /** Indexer progress events. */
  onProgress?: IndexerOptions['onProgress'];
  /** Use this reranker instead of the configured one (e.g. one wrapped in a score cache); closing it is the caller's. */
  reranker?: Reranker | undefined;
}

export interface AnswerOptions extends CallOptions {
  /** Results retrieved for the prompt. Default `rerank.k`. */
  k?: number;
  /** Who is asking: only what this principal may see reaches the prompt (see core's `canAccess`). */
  principal?: Principal;
}

/** A pipeline opened from configuration; `close()` releases models and the database, once. */
export interface OpenedPipeline {
  config: PipelineConfig;
  embedder: Embedder;
  store: VectorStore;
  /** Loads, chunks, embeds and writes; the chunker's tokenizer loads at the first run. */
  indexer: Indexer;
  /** Recall and the configured stages; the reranker loads at the first query. */
  retriever: Retriever;
  /** Retrieves, then answers with citations; needs a generator (generate.baseURL or an API key). */
  answer(question: string, options?: AnswerOptions): Promise<{ answer: Answer; retrieval: RetrievalResult }>;
  /** The reranker and generator as configured (loaded on first use). */
  reranker(): Promise<Reranker | undefined>;
  generator(): Generator | undefined;
  close(): Promise<void>;
}

/** Memoises an async constructor: the part is built once, on first use. */
function once<T>(build: () => Promise<T>): () => Promise<T> {
  let built: Promise<T> | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

/**
 * The one way to open a pipeline from configuration (CLI, eval harness, examples and tests use it): the embedder
 * and the store open now; the chunker, reranker, retriever and prompt parts are built on first use, so indexing
 * never loads the cross-encoder and a query never loads the chunker's tokenizer.
 */
export async function openPipeline(config: PipelineConfig, options: OpenPipelineOptions = {}): Promise<OpenedPipeline> {
  // Every name is resolved now, so a typo fails before anything loads (the lazy parts would meet it later).
  checkRegisteredNames(config, options.registry ?? createRegistry());
  const build = { registry: options.registry, config, baseDir: options.baseDir };
  const embedder = await createEmbedderFromConfig(config.embed, build);
  let store: VectorStore;
  try {
    store = await openStoreFromConfig(config.store, embedder, options.baseDir, {
      waitForLock: options.waitForLock ?? false,
      registry: options.registry,
      config,
      accessControl: config.access.enabled,
    });
  } catch (error) {
    await embedder.close?.();
    throw error;
  }
  const generator = createGeneratorFromConfig(config);
  const ownReranker = options.reranker === undefined;
  let rerankerLoaded = false;
  const reranker = once(async () => {
    rerankerLoaded = true;
    return options.reranker ?? (await createRerankerFromConfig(config.rerank, build));
  });
  const chunker = once<Chunker>(() => createChunkerFromConfig(config));
  const retriever = once(async () =>
    createRetrieverFromConfig(config, { embedder, store, reranker: await reranker(), generator }, build),
  );
  const contextBuilder = once(() => createContextBuilderFromConfig(config));
  const baseLoaders = options.loaders ?? defaultLoaders({ pdfPasswords: config.ingest.pdfPasswords });
  // With access control on, every document gets its access list at ingestion (rules by path, front matter).
  const access = config.access.enabled ? accessAssigner(config.access) : undefined;
  const loaders =
    access === undefined
      ? baseLoaders
      : typeof baseLoaders === 'function'
        ? access.loadFunction(baseLoaders)
        : access.loaders(baseLoaders);

  let closed: Promise<void> | undefined;
  return {
    config,
    embedder,
    store,
    indexer: {
      async run(sources, runOptions) {
        const indexer = createIndexer({
          loaders,
          chunker: await chunker(),
          embedder,
          store,
          maxDocumentMs: config.ingest.maxDocumentMs,
          ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        });
        return indexer.run(access === undefined ? sources : access.source(sources), runOptions);
      },
    },
    retriever: { retrieve: async (query, retrieveOptions) => (await retriever()).retrieve(query, retrieveOptions) },
    async answer(question, answerOptions = {}) {
      if (!generator) {
        throw new WinnowError('E_CONFIG_INVALID', 'answering needs a generation endpoint', {
          field: 'generate.baseURL',
          hint: 'set generate.baseURL, or OPENAI_BASE_URL / OPENAI_API_KEY in the environment',
        });
      }
      const { signal, k, principal } = answerOptions;
      const retrieval = await (await retriever()).retrieve(question, {
        ...(signal === undefined ? {} : { signal }),
        ...(k === undefined ? {} : { k }),
        ...(principal === undefined ? {} : { principal }),
      });
      const answer = await answerFrom({
        question,
        candidates: retrieval.candidates,
        contextBuilder: await contextBuilder(),
        generator,
        ...(signal === undefined ? {} : { signal }),
      });
      return { answer, retrieval };
    },
    reranker,
    generator: () => generator,
    close() {
      closed ??= (async () => {
        await store.close();
        // A reranker that was never loaded is not loaded now just to be closed.
        if (ownReranker && rerankerLoaded) await (await reranker().catch(() => undefined))?.close?.();
        await embedder.close?.();
      })();
      return closed;
    },
  };
}

/** Looks up every name the configuration gives that is not built in; an unknown one fails naming its field. */
export function checkRegisteredNames(config: PipelineConfig, registry: ProviderRegistry): void {
  if (!(BUILTIN_EMBED_PROVIDERS as readonly string[]).includes(config.embed.provider)) {
    registry.embedderFactory(config.embed.provider, 'embed.provider');
  }
  if (!(BUILTIN_RERANK_PROVIDERS as readonly string[]).includes(config.rerank.provider)) {
    registry.rerankerFactory(config.rerank.provider, 'rerank.provider');
  }
  if (!(BUILTIN_STORE_DRIVERS as readonly string[]).includes(config.store.driver)) {
    registry.storeFactory(config.store.driver, 'store.driver');
  }
  for (const [i, spec] of (config.retrieval.stages ?? []).entries()) {
    if (!(spec.use in builtinStageOptionSchemas)) registry.stageFactory(spec.use, `retrieval.stages.${i}.use`);
  }
  const transform = config.retrieval.queryTransform;
  if (transform !== undefined && !(transform.use in builtinQueryTransformOptionSchemas)) {
    registry.queryTransformFactory(transform.use, 'retrieval.queryTransform.use');
  }
}
