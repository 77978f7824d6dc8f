import type { Candidate, Reranker, VectorStore } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { createRetriever } from '../src/index.js';

/** Lexical candidates c1..cN in recall order (BM25 scores N..1), each from its own document. */
function recalled(count: number): Candidate[] {
  return Array.from({ length: count }, (_, i) => ({
    chunk: {
      id: `c${i + 1}`,
      documentId: `d${i + 1}`,
      ordinal: 0,
      text: `passage ${i + 1}`,
      headingPath: [],
      tokenCount: 3,
      provenance: { charStart: 0, charEnd: 9 },
      metadata: {},
      hash: `h${i + 1}`,
    },
    scores: { lexical: count - i },
    ranks: { lexical: i + 1 },
  }));
}

/** A store fake that returns the given candidates, and a reranker fake that prefers later passages. */
function parts(count: number) {
  const scored: string[] = [];
  const store = { search: async () => recalled(count) } as unknown as VectorStore;
  const reranker: Reranker = {
    modelId: 'fake',
    async score(_query, passages) {
      scored.push(...passages);
      return passages.map((p) => Number(p.split(' ')[1]));
    },
  };
  return { store, reranker, scored };
}

describe('createRetriever rerank.depth', () => {
  it('scores only the top `depth` candidates and keeps the rest below them in recall order', async () => {
    const { store, reranker, scored } = parts(6);
    const retriever = createRetriever({
      store,
      reranker,
      recall: { mode: 'lexical', k: 6 },
      rerank: { k: 6, depth: 3 },
      // Reranker order only, so the expected order is the fake's; fusion with recall has its own tests.
      fusion: { method: 'rerank' },
    });
    const result = await retriever.retrieve('question');
    expect(scored).toEqual(['passage 1', 'passage 2', 'passage 3']);
    // The fake reranker reverses the scored three (c3 > c2 > c1); c4..c6 follow as recalled.
    expect(result.candidates.map((c) => c.chunk.id)).toEqual(['c3', 'c2', 'c1', 'c4', 'c5', 'c6']);
    expect(result.candidates.map((c) => c.ranks.final)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result.candidates[3]?.scores.rerank).toBeUndefined();
  });

  it('scores every candidate when depth is at least recall.k', async () => {
    const { store, reranker, scored } = parts(4);
    const retriever = createRetriever({
      store,
      reranker,
      recall: { mode: 'lexical', k: 4 },
      rerank: { k: 2, depth: 50 },
      fusion: { method: 'rerank' },
    });
    const result = await retriever.retrieve('question');
    expect(scored).toHaveLength(4);
    expect(result.candidates.map((c) => c.chunk.id)).toEqual(['c4', 'c3']);
  });

  it('rejects a depth that is not positive', () => {
    const { store, reranker } = parts(1);
    expect(() => createRetriever({ store, reranker, recall: { mode: 'lexical' }, rerank: { depth: 0 } })).toThrow(
      /rerank\.depth/,
    );
  });
});
