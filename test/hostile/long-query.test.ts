/**
 * Issue 16, case 3: query text was never bounded. On PGlite a lexical or hybrid query of ~610+ lexemes (6 KB of
 * words) crashed the WebAssembly engine and every later query of the process; on the server ~20k terms overflowed
 * the stack. Now the retriever keeps `recall.maxQueryTokens` tokens, drops the rest with a warning in the result,
 * and the store cuts as well for callers that skip the retriever.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  boundQueryText,
  chunkId,
  DEFAULT_MAX_QUERY_TOKENS,
  type EmbeddedChunk,
  type Embedder,
  isWinnowError,
  MAX_QUERY_TOKENS,
  parseConfig,
  textHash,
} from '@winnow/core';
import {
  createPgDriver,
  createPgliteDriver,
  openPgVectorStore,
  type PgVectorStore,
  type SqlDriver,
} from '@winnow/pgvector';
import { createRetriever } from '@winnow/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DIMENSIONS = 4;

/** A deterministic embedder: no model needed, the vectors only have to be well formed. */
const embedder: Embedder = {
  modelId: 'long-query-test',
  dimensions: DIMENSIONS,
  maxTokens: 512,
  async embed(texts) {
    const vectors = texts.map((t) => Float32Array.from([1, (t.length % 7) + 1, 2, 3]));
    return { vectors, truncated: [], tokens: texts.length };
  },
};

const TOPICS = ['salmon river fishing', 'mountain glacier climbing', 'desert cactus flowers', 'ocean coral reefs'];

/** `bytes` of distinct words after a few that match the corpus. */
function hugeQuery(bytes = 50_000): string {
  const words = ['salmon', 'glacier'];
  for (let i = 0, length = 0; length < bytes; i++) {
    words.push(`word${i.toString(36)}x`);
    length += (words.at(-1) as string).length + 1;
  }
  return words.join(' ');
}

async function fill(store: PgVectorStore): Promise<void> {
  await store.replaceDocuments(
    TOPICS.map((text, d) => {
      const id = `doc-${d}`;
      const hash = textHash(text);
      const chunk: EmbeddedChunk = {
        id: chunkId(id, 0, hash),
        documentId: id,
        ordinal: 0,
        text,
        embedText: text,
        headingPath: [],
        provenance: { charStart: 0, charEnd: text.length },
        metadata: {},
        tokenCount: 3,
        hash,
        embedding: Float32Array.from([1, d + 1, 2, 3]),
      };
      return { document: { id, uri: `file:///${id}`, contentHash: hash, metadata: {} }, chunks: [chunk] };
    }),
  );
}

describe('boundQueryText', () => {
  it('keeps the first tokens and counts the dropped ones', () => {
    expect(boundQueryText('a b c', 5)).toEqual({ text: 'a b c', dropped: 0 });
    expect(boundQueryText('alpha, beta-gamma delta!', 2)).toEqual({ text: 'alpha, beta', dropped: 2 });
    expect(boundQueryText(hugeQuery()).text.match(/\w+/g)?.length).toBe(DEFAULT_MAX_QUERY_TOKENS);
  });

  it('is a config setting with a safe default and ceiling', () => {
    expect(parseConfig({}).recall.maxQueryTokens).toBe(DEFAULT_MAX_QUERY_TOKENS);
    expect(() => parseConfig({ recall: { maxQueryTokens: MAX_QUERY_TOKENS + 1 } })).toThrow(/maxQueryTokens/);
  });

  it('refuses a bound above what PGlite survives', () => {
    let caught: unknown;
    try {
      createRetriever({
        store: {} as PgVectorStore,
        recall: { mode: 'lexical', maxQueryTokens: MAX_QUERY_TOKENS + 1 },
      });
    } catch (error) {
      caught = error;
    }
    expect(isWinnowError(caught) && caught.code).toBe('E_CONFIG_INVALID');
  });
});

// The server survives 50 KB; its stack overflowed at ~20k terms, so it gets 250 KB (~27k words).
describe.each([
  ['pglite', 50_000],
  ['postgres', 250_000],
] as const)('a long query on %s (%i bytes)', (name, bytes) => {
  let driver: SqlDriver;
  let store: PgVectorStore;
  let dir: string | undefined;

  beforeAll(async () => {
    if (name === 'pglite') {
      dir = await mkdtemp(join(tmpdir(), 'winnow-long-query-'));
      driver = await createPgliteDriver({ path: join(dir, 'db') });
    } else {
      driver = await createPgDriver({ url: process.env.DATABASE_URL as string, setting: 'DATABASE_URL' });
    }
    store = await openPgVectorStore({
      driver,
      collection: `long_query_${process.pid}_${Math.random().toString(36).slice(2, 8)}`,
      modelId: embedder.modelId,
      dimensions: DIMENSIONS,
    });
    await fill(store);
  });

  afterAll(async () => {
    await store?.drop();
    await driver?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(['lexical', 'hybrid'] as const)('%s: answers with a warning, and later queries still work', async (mode) => {
    const retriever = createRetriever({ store, embedder, recall: { mode, k: 4 }, dedupe: false, k: 4 });
    const result = await retriever.retrieve(hugeQuery(bytes));
    expect(result.candidates.map((c) => c.chunk.text)).toEqual(
      expect.arrayContaining(['salmon river fishing', 'mountain glacier climbing']),
    );
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings?.[0]).toContain('recall.maxQueryTokens');

    const normal = await retriever.retrieve('coral reefs');
    expect(normal.warnings).toBeUndefined();
    expect(normal.candidates[0]?.chunk.text).toBe('ocean coral reefs');
  });

  it('the store cuts too when called directly', async () => {
    const hits = await store.search({ mode: 'lexical', k: 4, text: hugeQuery(bytes) });
    expect(hits.map((c) => c.chunk.text)).toContain('salmon river fishing');
    const normal = await store.search({ mode: 'lexical', k: 4, text: 'desert' });
    expect(normal[0]?.chunk.text).toBe('desert cactus flowers');
  });
});
