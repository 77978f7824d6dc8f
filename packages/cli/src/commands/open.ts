import type { Embedder, PipelineConfig, Reranker, VectorStore } from '@winnow/core';
import {
  createEmbedderFromConfig,
  createRerankerFromConfig,
  createRetrieverFromConfig,
  openStoreFromConfig,
  type Retriever,
} from '@winnow/pipeline';
import { loadSettings } from '../settings.js';

export interface OpenedRetrieval {
  config: PipelineConfig;
  embedder: Embedder;
  store: VectorStore;
  reranker: Reranker | undefined;
  retriever: Retriever;
  close(): Promise<void>;
}

/** Everything a query needs, from the configuration; `close()` releases the models and the database. */
export async function openRetrieval(configPath: string | undefined): Promise<OpenedRetrieval> {
  const { config, baseDir } = await loadSettings(configPath);
  const embedder = await createEmbedderFromConfig(config.embed);
  const store = await openStoreFromConfig(config.store, embedder, baseDir);
  try {
    const reranker = await createRerankerFromConfig(config.rerank);
    const retriever = createRetrieverFromConfig(config, { embedder, store, reranker });
    return {
      config,
      embedder,
      store,
      reranker,
      retriever,
      close: async () => {
        await store.close();
        await reranker?.close?.();
        await embedder.close?.();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
