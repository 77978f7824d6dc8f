import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Chunk, chunkId, type EmbeddedChunk, type StoredDocumentWrite, textHash } from '@winnow/core';
import {
  createPgDriver,
  createPgliteDriver,
  type OpenPgVectorStoreOptions,
  openPgVectorStore,
  type PgVectorStore,
  type SqlDriver,
} from '../src/index.js';

/** One database under test: a real PostgreSQL server (DATABASE_URL) or embedded PGlite in a temp folder. */
export interface DatabaseUnderTest {
  name: 'postgres' | 'pglite';
  driver: SqlDriver;
  /** A fresh driver of the same kind on the same database (another session / connection pool). */
  another(): Promise<SqlDriver>;
  /** The PGlite folder (PGlite only). */
  folder?: string;
  close(): Promise<void>;
}

export const DATABASES = ['postgres', 'pglite'] as const;

export async function openDatabase(name: 'postgres' | 'pglite'): Promise<DatabaseUnderTest> {
  if (name === 'postgres') {
    const url = process.env.DATABASE_URL as string;
    const open = async (): Promise<SqlDriver> => createPgDriver({ url, setting: 'DATABASE_URL', maxConnections: 4 });
    const driver = await open();
    return { name, driver, another: open, close: () => driver.close() };
  }
  const dir = await mkdtemp(join(tmpdir(), 'winnow-pgvector-'));
  const folder = join(dir, 'db');
  const driver = await createPgliteDriver({ path: folder });
  return {
    name,
    driver,
    folder,
    another: () => {
      throw new Error('PGlite has one connection per folder; use driver');
    },
    async close() {
      await driver.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** Unique per process and call, so parallel test files and runs never share tables. */
export function uniqueCollection(prefix = 't'): string {
  counter++;
  return `${prefix}_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Opens a store on a new collection and remembers it so `dropAll` removes its tables. */
export class StoreTracker {
  private readonly stores: PgVectorStore[] = [];

  constructor(private readonly db: () => DatabaseUnderTest) {}

  async open(options: OpenPgVectorStoreOptions = {}): Promise<PgVectorStore> {
    const store = await openPgVectorStore({
      driver: this.db().driver,
      collection: uniqueCollection(),
      modelId: 'test-model',
      dimensions: 8,
      ...options,
    });
    this.stores.push(store);
    return store;
  }

  async dropAll(): Promise<void> {
    for (const store of this.stores.splice(0)) await store.drop();
  }
}

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random unit vector. */
export function randomVector(next: () => number, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    // Box–Muller: Gaussian components give directions uniform on the sphere.
    const value = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
    vector[i] = value;
    norm += value * value;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) vector[i] = (vector[i] as number) / norm;
  return vector;
}

export interface ChunkSpec {
  text: string;
  embedding: Float32Array;
  metadata?: Chunk['metadata'];
  headingPath?: string[];
  page?: number;
  pages?: number[];
}

/** A document write with chunks numbered from 0, ids and hashes computed as the pipeline would. */
export function documentWrite(
  id: string,
  chunks: ChunkSpec[],
  document: Partial<StoredDocumentWrite['document']> = {},
): StoredDocumentWrite {
  return {
    document: {
      id,
      uri: `file:///${id}`,
      contentHash: textHash(chunks.map((c) => c.text).join('\n')),
      metadata: {},
      ...document,
    },
    chunks: chunks.map((spec, ordinal): EmbeddedChunk => {
      const hash = textHash(spec.text);
      const provenance: EmbeddedChunk['provenance'] = {
        charStart: ordinal * 100,
        charEnd: ordinal * 100 + spec.text.length,
      };
      if (spec.page !== undefined) provenance.page = spec.page;
      if (spec.pages !== undefined) provenance.pages = spec.pages;
      return {
        id: chunkId(id, ordinal, hash),
        documentId: id,
        ordinal,
        text: spec.text,
        headingPath: spec.headingPath ?? [],
        tokenCount: spec.text.split(/\s+/).length,
        provenance,
        metadata: spec.metadata ?? {},
        hash,
        embedding: spec.embedding,
      };
    }),
  };
}

/** A vector with one hot component: easy to reason about nearest neighbours. */
export function axis(dimensions: number, index: number, scale = 1): Float32Array {
  const vector = new Float32Array(dimensions);
  vector[index % dimensions] = scale;
  return vector;
}

/** Runs `fn` and returns the WinnowError it throws (fails the test if it does not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<Error & { code?: string; field?: string }> {
  try {
    await fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected an error');
}
