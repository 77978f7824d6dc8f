/**
 * Two-stage retrieval end to end on ADI with real models: index the collection (all-MiniLM-L6-v2, embedded
 * PGlite), recall 20 by dense search, rerank with the cross-encoder, and answer through a local server that
 * speaks the OpenAI protocol, checking that the citations map back to judged-relevant documents.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRerankerFromConfig } from '@winnow/assemble';
import { isWinnowError, type Reranker } from '@winnow/core';
import { type BeirDataset, beirSources, loadBeirDataset, parseBeirSource } from '@winnow/eval';
import type { PgVectorStore } from '@winnow/pgvector';
import { createIndexer, createRetriever, type Retriever } from '@winnow/pipeline';
import { createContextBuilder, createTiktokenCounter, OpenAIGenerator, streamAnswer } from '@winnow/prompt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Models, openModels, openStore } from './support/index-helpers.js';
import { type OpenAIServer, startOpenAIServer } from './support/openai-server.js';

const ADI = join(process.env.WINNOW_MODELS ?? '', '..', 'datasets', 'adi');

let models: Models;
let store: PgVectorStore;
let reranker: Reranker;
let dataset: BeirDataset;
let recallOnly: Retriever;
let twoStage: Retriever;
let server: OpenAIServer;

/** Queries in qrels order with their relevant document ids. */
function judged(): { id: string; text: string; relevant: Set<string> }[] {
  return [...dataset.queries.values()].map((q) => ({
    id: q.id,
    text: q.text,
    relevant: new Set([...(dataset.qrels.get(q.id) ?? new Map()).entries()].filter(([, g]) => g > 0).map(([d]) => d)),
  }));
}

beforeAll(async () => {
  models = await openModels();
  store = await openStore('pglite', models.embedder, undefined, await mkdtemp(join(tmpdir(), 'winnow-adi-')));
  dataset = await loadBeirDataset(ADI, { split: 'test' });
  const report = await createIndexer({ loaders: parseBeirSource, ...models, store }).run(beirSources(dataset));
  expect(report.added).toHaveLength(82);
  reranker = (await createRerankerFromConfig({
    provider: 'transformers',
    model: 'ce-minilm-l6-scifact',
    dtype: 'q8',
    device: 'cpu',
    k: 5,
    depth: 20,
    batchSize: 20,
    cacheEntries: 0,
    timeoutMs: 60_000,
    maxRetries: 0,
  })) as Reranker;
  const recall = { k: 20, mode: 'dense' as const, efSearch: 100 };
  recallOnly = createRetriever({ embedder: models.embedder, store, recall, rerank: { k: 20 } });
  twoStage = createRetriever({ embedder: models.embedder, store, reranker, recall, rerank: { k: 5, batchSize: 20 } });
  server = await startOpenAIServer();
}, 600_000);

afterAll(async () => {
  await server?.close();
  await store?.close();
  await reranker?.close?.();
  await models?.embedder.close?.();
});

describe('two-stage retrieval on ADI', () => {
  it('keeps every stage score and rank, and per-stage timings', async () => {
    const [query] = judged();
    const result = await twoStage.retrieve(query?.text ?? '');
    expect(result.recalled).toBe(20);
    expect(result.candidates).toHaveLength(5);
    for (const [i, c] of result.candidates.entries()) {
      expect(c.scores.dense).toBeTypeOf('number');
      expect(c.scores.rerank).toBeGreaterThanOrEqual(0);
      expect(c.scores.rerank).toBeLessThanOrEqual(1);
      expect(c.ranks.dense).toBeGreaterThanOrEqual(1);
      expect(c.ranks.final).toBe(i + 1);
      expect(c.document?.uri).toMatch(/^beir:adi#/);
    }
    const { embedMs, recallMs, rerankMs, totalMs } = result.timings;
    for (const ms of [embedMs, recallMs, rerankMs]) expect(ms).toBeGreaterThan(0);
    expect(totalMs).toBeGreaterThanOrEqual((embedMs ?? 0) + (recallMs ?? 0) + (rerankMs ?? 0));
  });

  it('reranking changes the order, and the top results include judged-relevant documents', async () => {
    const queries = judged().slice(0, 12);
    let reordered = 0;
    let hitsRecall = 0;
    let hitsReranked = 0;
    for (const q of queries) {
      const before = (await recallOnly.retrieve(q.text)).candidates.slice(0, 5).map((c) => c.chunk.documentId);
      const after = (await twoStage.retrieve(q.text)).candidates.map((c) => c.chunk.documentId);
      if (before.join() !== after.join()) reordered++;
      if (before.some((d) => q.relevant.has(d))) hitsRecall++;
      if (after.some((d) => q.relevant.has(d))) hitsReranked++;
    }
    expect(reordered).toBeGreaterThanOrEqual(queries.length / 2);
    // Most queries find a judged-relevant document in the top 5, before and after reranking.
    expect(hitsRecall).toBeGreaterThanOrEqual(queries.length / 2);
    expect(hitsReranked).toBeGreaterThanOrEqual(queries.length / 2);
  });

  it('answers through an OpenAI-protocol server with citations that map back to the retrieved documents', async () => {
    const q = judged().find(() => true);
    if (!q) throw new Error('ADI has no judged queries');
    const result = await twoStage.retrieve(q.text);
    server.enqueue({
      route: '/chat/completions',
      content: ['Indexing ', 'is described in [1] ', 'and [2]; see also [9].'],
    });
    const generator = new OpenAIGenerator({
      model: 'gpt-4o-mini',
      baseURL: server.baseURL,
      apiKey: 'test',
      maxRetries: 0,
    });
    const contextBuilder = createContextBuilder({
      tokenCounter: createTiktokenCounter('gpt-4o-mini'),
      contextWindow: 4096,
      answerTokens: 256,
    });
    let streamed = '';
    let answer: Extract<Awaited<ReturnType<AsyncIterator<unknown>['next']>>['value'], { type: 'done' }> | undefined;
    for await (const event of streamAnswer({
      question: q.text,
      candidates: result.candidates,
      contextBuilder,
      generator,
    })) {
      if (event.type === 'delta') streamed += event.text;
      if (event.type === 'done') answer = event as typeof answer;
    }
    expect(streamed).toBe('Indexing is described in [1] and [2]; see also [9].');
    const done = answer as unknown as {
      answer: {
        citations: { label: number; documentId: string; uri: string }[];
        invalidCitations: number[];
        sources: { documentId: string }[];
      };
    };
    expect(done.answer.invalidCitations).toEqual([9]);
    expect(done.answer.citations.map((c) => c.label)).toEqual([1, 2]);
    const retrieved = new Set(result.candidates.map((c) => c.chunk.documentId));
    for (const c of done.answer.citations) {
      expect(retrieved.has(c.documentId)).toBe(true);
      expect(c.uri).toBe(`beir:adi#${c.documentId}`);
    }
    // The model received the retrieved passages, labelled, inside the untrusted-data delimiters.
    const request = server.requestsTo('/chat/completions').at(-1)?.body as {
      messages: { role: string; content: string }[];
    };
    const user = request.messages.find((m) => m.role === 'user')?.content ?? '';
    expect(user).toContain(result.candidates[0]?.chunk.text.slice(0, 60));
    expect(user).toMatch(/<source id="1"/);
    expect(request.messages.find((m) => m.role === 'system')?.content).toMatch(/untrusted data[\s\S]*square brackets/);
  });

  it('gives clear results for an empty query, a filter matching nothing, and an abort', async () => {
    await expect(twoStage.retrieve('   ')).rejects.toMatchObject({ code: 'E_EMPTY_QUERY' });
    const none = await twoStage.retrieve('computer indexing', {
      filter: { field: 'documentId', op: 'eq', value: 'no-such-doc' },
    });
    expect(none.candidates).toEqual([]);
    const controller = new AbortController();
    controller.abort();
    const error = await twoStage.retrieve('computer indexing', { signal: controller.signal }).catch((e: unknown) => e);
    expect(isWinnowError(error, 'E_ABORTED')).toBe(true);
  });
});
