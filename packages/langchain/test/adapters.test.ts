/**
 * WinnowReranker over the real cross-encoder, WinnowEmbeddings over the real MiniLM embedder, and the metadata
 * mapping between winnow candidates and LangChain documents, both ways.
 */
import { Document } from '@langchain/core/documents';
import { createEmbedderFromConfig, createRerankerFromConfig } from '@winnow/assemble';
import type { Candidate, Embedder, Reranker } from '@winnow/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIServer } from '../../../test/support/openai-server.js';
import { candidateToDocument, documentToCandidate, WinnowEmbeddings, WinnowReranker } from '../src/index.js';

const QUERY = 'How do I uninstall pnpm?';
const PASSAGES = {
  shell: 'pnpm supports tab completion for Bash, Zsh, Fish and PowerShell; run pnpm completion to print the script.',
  uninstall:
    'If you used the standalone script to install pnpm, uninstall the pnpm CLI by removing the pnpm home directory.',
  docker: 'In a Dockerfile, pnpm fetch downloads packages into the store using only the lockfile.',
  alias: 'Aliases let you install a package under a custom name, for example pnpm add lodash1@npm:lodash@1.',
};

let embedder: Embedder;
let reranker: Reranker;

beforeAll(async () => {
  embedder = await createEmbedderFromConfig({
    provider: 'transformers',
    model: 'all-MiniLM-L6-v2',
    dtype: 'q8',
    device: 'cpu',
    batchSize: 32,
    concurrency: 1,
    timeoutMs: 60_000,
    maxRetries: 0,
  });
  const created = await createRerankerFromConfig({
    provider: 'transformers',
    model: 'ce-minilm-l6-scifact',
    dtype: 'q8',
    device: 'cpu',
    k: 5,
    depth: 50,
    batchSize: 16,
    cacheEntries: 0,
    timeoutMs: 60_000,
    maxRetries: 0,
  });
  if (!created) throw new Error('the transformers provider always builds a reranker');
  reranker = created;
});

afterAll(async () => {
  await reranker?.close?.();
  await embedder?.close?.();
});

describe('WinnowReranker', () => {
  const documents = () => [
    new Document({ pageContent: PASSAGES.shell, metadata: { source: 'completion.md' } }),
    new Document({ pageContent: PASSAGES.docker, metadata: { source: 'docker.md' }, id: 'docker-1' }),
    candidateToDocument(candidate('uninstall.md#0', PASSAGES.uninstall, { dense: 0.61 }, { dense: 3 })),
    new Document({ pageContent: PASSAGES.alias, metadata: { source: 'aliases.md' } }),
  ];

  it('keeps the k best documents by cross-encoder score, recording score and rank', async () => {
    const kept = await new WinnowReranker({ reranker, k: 2, batchSize: 3 }).compressDocuments(documents(), QUERY);
    // The same calls the compressor makes: batches of 3 (q8 models quantize activations per batch, so batch
    // composition moves scores slightly).
    const texts = documents().map((d) => d.pageContent);
    const direct = [
      ...(await reranker.score(QUERY, texts.slice(0, 3))),
      ...(await reranker.score(QUERY, texts.slice(3))),
    ];
    const best = direct.map((score, index) => ({ score, index })).sort((a, b) => b.score - a.score);

    expect(kept).toHaveLength(2);
    expect(kept[0]?.pageContent).toBe(PASSAGES.uninstall);
    expect(kept.map((d) => d.pageContent)).toEqual(best.slice(0, 2).map((b) => documents()[b.index]?.pageContent));
    for (const [rank, document] of kept.entries()) {
      expect(document.metadata.ranks.rerank).toBe(rank + 1);
      expect(document.metadata.scores.rerank).toBe(best[rank]?.score);
    }
    // Scores from earlier stages stay beside the new one.
    expect(kept[0]?.metadata).toMatchObject({
      chunkId: 'uninstall.md#0',
      scores: { dense: 0.61 },
      ranks: { dense: 3 },
    });
  });

  it('keeps foreign documents their own metadata and ids', async () => {
    const kept = await new WinnowReranker({ reranker, k: 4 }).compressDocuments(documents(), QUERY);
    const docker = kept.find((d) => d.pageContent === PASSAGES.docker);
    expect(docker?.metadata.source).toBe('docker.md');
    expect(docker?.id).toBe('docker-1');
    expect(kept.find((d) => d.pageContent === PASSAGES.alias)?.metadata.source).toBe('aliases.md');
  });

  it('returns nothing for no documents', async () => {
    expect(await new WinnowReranker({ reranker }).compressDocuments([], QUERY)).toEqual([]);
  });
});

describe('WinnowEmbeddings', () => {
  const cosine = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * (b[i] ?? 0), 0);

  it('embeds queries and documents with the real model', async () => {
    const embeddings = new WinnowEmbeddings({ embedder });
    const query = await embeddings.embedQuery(QUERY);
    const vectors = await embeddings.embedDocuments([PASSAGES.uninstall, PASSAGES.docker, PASSAGES.alias]);
    expect(query).toHaveLength(384);
    expect(Math.hypot(...query)).toBeCloseTo(1, 4);
    expect(vectors).toHaveLength(3);
    const [uninstall = [], docker = [], alias = []] = vectors;
    expect(cosine(query, uninstall)).toBeGreaterThan(cosine(query, docker));
    expect(cosine(query, uninstall)).toBeGreaterThan(cosine(query, alias));
  });

  it('gives the same vectors as the winnow embedder, as plain arrays', async () => {
    const [fromLangChain = []] = await new WinnowEmbeddings({ embedder }).embedDocuments([PASSAGES.shell]);
    const { vectors } = await embedder.embed([PASSAGES.shell], { inputType: 'document' });
    expect(Array.isArray(fromLangChain)).toBe(true);
    expect(fromLangChain).toEqual(Array.from(vectors[0] ?? []));
    expect(await new WinnowEmbeddings({ embedder }).embedDocuments([])).toEqual([]);
  });
});

describe('WinnowEmbeddings errors', () => {
  it("passes a winnow error through at once, leaving retries to winnow's own clients", async () => {
    const server = await startOpenAIServer();
    const remote = await createEmbedderFromConfig({
      provider: 'openai',
      baseURL: server.baseURL,
      model: 'served-embedder',
      dimensions: 8,
      dtype: 'q8',
      device: 'cpu',
      batchSize: 32,
      concurrency: 1,
      timeoutMs: 10_000,
      maxRetries: 0,
    });
    try {
      server.enqueue({ route: '/embeddings', status: 400, error: { message: 'input too long' } });
      const failure = await new WinnowEmbeddings({ embedder: remote }).embedQuery('query').catch((e: unknown) => e);
      expect(failure).toMatchObject({ name: 'WinnowError', code: 'E_HTTP' });
      // LangChain's default would have sent it 7 times, with about a minute of backoff.
      expect(server.requestsTo('/embeddings')).toHaveLength(1);
      expect(await new WinnowEmbeddings({ embedder: remote }).embedQuery('query')).toHaveLength(8);
    } finally {
      await remote.close?.();
      await server.close();
    }
  });
});

describe('metadata mapping', () => {
  it('a candidate survives the trip to a LangChain document and back', () => {
    const original = candidate('manual.pdf#4', 'Rotate the logs weekly.', { dense: 0.8, rerank: 2.1 }, { rerank: 1 });
    original.chunk.provenance = { charStart: 120, charEnd: 143, page: 7 };
    original.chunk.metadata = { lang: 'en', tags: ['ops'] };
    original.document = {
      id: 'manual.pdf',
      uri: 'file:///srv/docs/manual.pdf',
      title: 'Operations manual',
      contentHash: 'abc',
      metadata: {},
    };

    const document = candidateToDocument(original);
    expect(document.pageContent).toBe('Rotate the logs weekly.');
    expect(document.id).toBe('manual.pdf#4');
    expect(document.metadata).toMatchObject({
      chunkId: 'manual.pdf#4',
      documentId: 'manual.pdf',
      uri: 'file:///srv/docs/manual.pdf',
      title: 'Operations manual',
      page: 7,
      charStart: 120,
      charEnd: 143,
      headingPath: ['Operations', 'Logs'],
      scores: { dense: 0.8, rerank: 2.1 },
      ranks: { rerank: 1 },
      lang: 'en',
      tags: ['ops'],
    });

    const back = documentToCandidate(document, 0);
    // The document record keeps what a LangChain document carries: id, uri and title.
    expect(back).toEqual({
      ...original,
      document: {
        id: 'manual.pdf',
        uri: 'file:///srv/docs/manual.pdf',
        title: 'Operations manual',
        contentHash: '',
        metadata: {},
      },
    });
  });

  it('a document from elsewhere becomes a candidate with its own metadata', () => {
    const foreign = new Document({ pageContent: 'Some text.', metadata: { source: 'wiki', page: 3, score: 0.4 } });
    const candidateFromForeign = documentToCandidate(foreign, 7);
    expect(candidateFromForeign.chunk).toMatchObject({
      id: 'langchain-7',
      documentId: 'langchain-7',
      text: 'Some text.',
      headingPath: [],
      provenance: { charStart: 0, charEnd: 10, page: 3 },
      metadata: { source: 'wiki', score: 0.4 },
    });
    expect(candidateFromForeign.scores).toEqual({});
    expect(candidateFromForeign.document).toBeUndefined();
    expect(documentToCandidate(new Document({ pageContent: 'x', metadata: {}, id: 'lc-42' }), 0).chunk.id).toBe(
      'lc-42',
    );
  });

  it('round trips any candidate (property)', () => {
    const scores = fc.dictionary(
      fc.constantFrom('dense', 'lexical', 'fused', 'rerank', 'final'),
      fc.double({ noNaN: true }),
    );
    fc.assert(
      fc.property(
        fc.record({
          id: fc.string({ minLength: 1 }),
          text: fc.string(),
          headingPath: fc.array(fc.string()),
          scores,
          ranks: scores,
          own: fc.dictionary(
            fc.string().map((key) => `x_${key}`),
            fc.oneof(fc.string(), fc.integer(), fc.boolean()),
          ),
        }),
        ({ id, text, headingPath, scores: stageScores, ranks, own }) => {
          const original = candidate(id, text, stageScores, ranks);
          original.chunk.headingPath = headingPath;
          original.chunk.metadata = own;
          expect(documentToCandidate(candidateToDocument(original), 0)).toEqual(original);
        },
      ),
      { numRuns: 200 },
    );
  });
});

function candidate(id: string, text: string, scores: Candidate['scores'], ranks: Candidate['ranks']): Candidate {
  return {
    chunk: {
      id,
      documentId: id.split('#')[0] || id,
      ordinal: 4,
      text,
      headingPath: ['Operations', 'Logs'],
      tokenCount: 9,
      provenance: { charStart: 0, charEnd: text.length },
      metadata: {},
      hash: `hash-${id}`,
    },
    scores,
    ranks,
  };
}
