import { join } from 'node:path';
import type { ProviderRegistry } from '@winnow/assemble';
import { type Embedder, type PipelineConfig, sha256Hex, type VectorStore } from '@winnow/core';
import type { IndexProgress, RunReport } from '@winnow/pipeline';
import type { BeirDataset } from '../io/beir.js';
import { beirSources, parseBeirSource } from './corpus.js';

/** What decides the contents of an index: configurations that agree on these share one. */
export function indexKey(config: PipelineConfig): string {
  const { provider, model, dtype, queryPrefix, documentPrefix, baseURL, dimensions } = config.embed;
  const { metric, index, halfvec } = config.store;
  const identity = {
    embed: { provider, model, dtype, queryPrefix, documentPrefix, baseURL, dimensions },
    chunk: config.chunk,
    store: { metric, index, halfvec },
    // Access lists are part of what is stored; left out when off so that existing indexes keep their keys.
    ...(config.access.enabled ? { access: config.access } : {}),
  };
  return sha256Hex(JSON.stringify(identity)).slice(0, 12);
}

export interface IndexedCorpus {
  key: string;
  embedder: Embedder;
  store: VectorStore;
  report: RunReport;
  /** Closes the store and the embedder. */
  close(): Promise<void>;
}

export interface IndexCorpusOptions {
  /** Folder for embedded (PGlite) indexes, one sub-folder per dataset and index key. */
  cacheDir: string;
  /** Use the PostgreSQL server at this URL instead of PGlite (one collection per index key). */
  databaseUrl?: string | undefined;
  onProgress?: (event: IndexProgress) => void;
  signal?: AbortSignal;
  /** User providers named in the configuration. */
  registry?: ProviderRegistry | undefined;
}

/**
 * Opens (or creates) the index for a configuration and brings it up to date with the corpus. The indexer is
 * incremental, so a second run over an unchanged corpus only re-reads it and compares content hashes: this is
 * the on-disk cache that makes repeated `winnow eval` runs cheap.
 */
export async function indexCorpus(
  dataset: BeirDataset,
  datasetName: string,
  config: PipelineConfig,
  options: IndexCorpusOptions,
): Promise<IndexedCorpus> {
  const key = indexKey(config);
  const storeConfig: PipelineConfig['store'] = options.databaseUrl
    ? {
        ...config.store,
        driver: 'postgres',
        url: options.databaseUrl,
        collection: `eval_${datasetName}_${key}`
          .toLowerCase()
          .replace(/[^a-z0-9_]/g, '_')
          .slice(0, 40),
      }
    : { ...config.store, driver: 'pglite', path: join(options.cacheDir, `${datasetName}-${key}`) };
  // Loaded here, not at import: see run.ts.
  const { openPipeline } = await import('@winnow/assemble');
  const pipeline = await openPipeline(
    { ...config, store: storeConfig },
    {
      loaders: parseBeirSource,
      ...(options.registry === undefined ? {} : { registry: options.registry }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    },
  );
  try {
    const report = await pipeline.indexer.run(
      beirSources(dataset, options.signal === undefined ? {} : { signal: options.signal }),
      // The corpus is the whole collection: records it no longer has are removed.
      { waitForLock: true, deleteMissing: true, ...(options.signal === undefined ? {} : { signal: options.signal }) },
    );
    return { key, embedder: pipeline.embedder, store: pipeline.store, report, close: () => pipeline.close() };
  } catch (error) {
    await pipeline.close();
    throw error;
  }
}
