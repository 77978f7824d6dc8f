/** The one rerank loop: batching, order, ties, k, abort between batches, and a reranker's wrong score count. */
import { describe, expect, it } from 'vitest';
import { type Candidate, type Reranker, rerankCandidates } from '../src/index.js';

function candidate(id: string, text: string): Candidate {
  return {
    chunk: {
      id,
      documentId: id,
      ordinal: 0,
      text,
      headingPath: [],
      tokenCount: 1,
      provenance: { charStart: 0, charEnd: text.length },
      metadata: {},
      hash: id,
    },
    scores: { dense: 0.5 },
    ranks: { dense: 1 },
  };
}

/** Scores a passage by its length; records the batches. */
function lengthReranker(): Reranker & { batches: string[][] } {
  const batches: string[][] = [];
  return {
    modelId: 'length',
    batches,
    score: async (_q, passages) => {
      batches.push([...passages]);
      return passages.map((p) => p.length);
    },
  };
}

const list = [candidate('a', 'xx'), candidate('b', 'xxxx'), candidate('c', 'xxx'), candidate('d', 'xxxx')];

describe('rerankCandidates', () => {
  it('scores in batches of batchSize in input order and returns best first, ties in input order', async () => {
    const reranker = lengthReranker();
    const ranked = await rerankCandidates(reranker, 'q', list, { batchSize: 3 });
    expect(reranker.batches).toEqual([['xx', 'xxxx', 'xxx'], ['xxxx']]);
    expect(ranked.map((c) => c.chunk.id)).toEqual(['b', 'd', 'c', 'a']);
    expect(ranked.map((c) => [c.scores.rerank, c.ranks.rerank])).toEqual([
      [4, 1],
      [4, 2],
      [3, 3],
      [2, 4],
    ]);
    // Earlier stages' scores stay; inputs are not changed.
    expect(ranked[0]?.scores.dense).toBe(0.5);
    expect(list[0]?.scores.rerank).toBeUndefined();
  });

  it('keeps the best k, scores everything in one call without batchSize, and passes [] through', async () => {
    const reranker = lengthReranker();
    const top = await rerankCandidates(reranker, 'q', list, { k: 2 });
    expect(top.map((c) => c.chunk.id)).toEqual(['b', 'd']);
    expect(reranker.batches).toHaveLength(1);
    expect(await rerankCandidates(reranker, 'q', [])).toEqual([]);
  });

  it('fails with E_RERANK_FAILED naming the model when a batch gets the wrong number of scores', async () => {
    const extra: Reranker = { modelId: 'chatty', score: async (_q, passages) => [...passages.map(() => 1), 1] };
    await expect(rerankCandidates(extra, 'q', list, { batchSize: 2 })).rejects.toMatchObject({
      code: 'E_RERANK_FAILED',
      setting: 'chatty',
      message: expect.stringContaining('reranker returned 3 scores for 2 passages'),
    });
  });

  it('checks the signal between batches', async () => {
    const controller = new AbortController();
    const reranker: Reranker = {
      modelId: 'aborting',
      score: async (_q, passages) => {
        controller.abort();
        return passages.map(() => 0);
      },
    };
    await expect(
      rerankCandidates(reranker, 'q', list, { batchSize: 2, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'E_ABORTED' });
  });

  it('rejects an empty query', async () => {
    await expect(rerankCandidates(lengthReranker(), '  ', list)).rejects.toMatchObject({ code: 'E_EMPTY_QUERY' });
  });
});
