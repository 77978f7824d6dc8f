/** Shared helpers for cross-package indexing tests: real models, real stores, and a comparable snapshot. */
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChunkerFromConfig, createEmbedderFromConfig } from '@winnow/assemble';
import { type Chunker, type Embedder, parseConfig } from '@winnow/core';
import { defaultLoaders, folderSource } from '@winnow/ingest';
import { collectionTables, openPgVectorStore, type PgVectorStore } from '@winnow/pgvector';
import { createIndexer, type RunReport } from '@winnow/pipeline';

export const MARKDOWN_VERSIONS = join(process.env.WINNOW_MODELS ?? '', '..', 'corpora', 'markdown-versions');

export interface Models {
  embedder: Embedder;
  chunker: Chunker;
}

/** The default configuration's real embedder (all-MiniLM-L6-v2 q8) and chunker (its tokenizer). */
export async function openModels(): Promise<Models> {
  const config = parseConfig({ embed: { device: 'cpu' } });
  return { embedder: await createEmbedderFromConfig(config.embed), chunker: await createChunkerFromConfig(config) };
}

export type DriverName = 'postgres' | 'pglite';

let counter = 0;
/** A fresh, uniquely named collection on the server, or a fresh PGlite folder. */
export async function openStore(
  driver: DriverName,
  embedder: Embedder,
  name?: string,
  path?: string,
  waitForLock = false,
): Promise<PgVectorStore> {
  const collection = name ?? `t${process.pid}_${Date.now().toString(36)}_${counter++}`;
  return openPgVectorStore({
    ...(driver === 'postgres'
      ? { driver: 'postgres', url: process.env.DATABASE_URL }
      : { driver: 'pglite', path: path ?? (await mkdtemp(join(tmpdir(), 'winnow-store-'))) }),
    collection,
    modelId: embedder.modelId,
    dimensions: embedder.dimensions,
    deferIndex: true,
    waitForLock,
  });
}

export async function indexFolder(
  models: Models,
  store: PgVectorStore,
  folder: string,
  deleteMissing = true,
): Promise<RunReport> {
  const indexer = createIndexer({
    loaders: defaultLoaders(),
    chunker: models.chunker,
    embedder: models.embedder,
    store,
  });
  return indexer.run(folderSource(folder), { deleteMissing });
}

export interface ChunkRow {
  document_id: string;
  ordinal: number;
  id: string;
  hash: string;
  text: string;
  heading_path: string[];
}

/** Every chunk of a collection, sorted, without what differs between equal indexes (timestamps, vectors' noise). */
export async function chunkSnapshot(store: PgVectorStore): Promise<ChunkRow[]> {
  const t = collectionTables(store.collection);
  const { rows } = await store.driver.query<ChunkRow>(
    `select document_id, ordinal, id, hash, text, heading_path from ${t.chunks} order by document_id, ordinal`,
  );
  return rows;
}

export async function documentHashes(store: PgVectorStore): Promise<Record<string, string>> {
  return Object.fromEntries(await store.documentHashes());
}

/** Copies a few files of a tree into a temp folder, keeping relative paths. */
export async function copySubset(from: string, files: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'winnow-tree-'));
  for (const file of files) await cp(join(from, file), join(dir, file), { recursive: true });
  return dir;
}
