import type { Candidate } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { collapseDuplicates, fuseRankedLists, fuseStages, reciprocalRank } from '../src/index.js';

function candidate(id: string, recall: number, rerank?: number, span: [number, number] = [0, 10], doc = id): Candidate {
  return {
    chunk: {
      id,
      documentId: doc,
      ordinal: 0,
      text: `text of ${id}`,
      headingPath: [],
      tokenCount: 3,
      provenance: { charStart: span[0], charEnd: span[1] },
      metadata: {},
      hash: id,
    },
    scores: { dense: recall, ...(rerank === undefined ? {} : { rerank }) },
    ranks: {},
  };
}

/** Candidates in recall order with dense ranks, and rerank ranks derived from rerank scores. */
function ranked(list: Candidate[]): Candidate[] {
  const byRerank = [...list].sort((a, b) => (b.scores.rerank ?? 0) - (a.scores.rerank ?? 0));
  return list.map((c, i) => ({
    ...c,
    ranks: { dense: i + 1, ...(c.scores.rerank === undefined ? {} : { rerank: byRerank.indexOf(c) + 1 }) },
  }));
}

const ids = (list: Candidate[]) => list.map((c) => c.chunk.id);

describe('fuseStages', () => {
  // Recall order a, b, c, d; the reranker prefers d, c, b, a.
  const list = ranked([
    candidate('a', 0.9, 0.1),
    candidate('b', 0.8, 0.2),
    candidate('c', 0.7, 0.3),
    candidate('d', 0.1, 0.9),
  ]);

  it('rerank: orders by rerank score and sets final scores and ranks', () => {
    const out = fuseStages(list, 'dense', { method: 'rerank', weight: 0.5, rrfK: 60, normalize: 'zscore' });
    expect(ids(out)).toEqual(['d', 'c', 'b', 'a']);
    expect(out.map((c) => c.ranks.final)).toEqual([1, 2, 3, 4]);
    expect(out[0]?.scores).toMatchObject({ dense: 0.1, rerank: 0.9, final: 0.9 });
  });

  it('a partial rerank (depth 2 of 4) fuses the scored top and keeps the rest below in recall order', () => {
    // Recall a, b, c, d; only a and b were scored (a 0.1 < b 0.2), so b, a, then c, d as recalled.
    const partial = ranked([
      candidate('a', 0.9, 0.1),
      candidate('b', 0.8, 0.2),
      candidate('c', 0.7),
      candidate('d', 0.1),
    ]);
    const out = fuseStages(partial, 'dense', { method: 'rerank', weight: 0.5, rrfK: 60, normalize: 'zscore' });
    expect(ids(out)).toEqual(['b', 'a', 'c', 'd']);
    expect(out.map((c) => c.ranks.final)).toEqual([1, 2, 3, 4]);
    // Unscored candidates get a final rank but no final score: they were never compared with the fused ones.
    expect(out[2]?.scores.final).toBeUndefined();
  });

  it('weight 0 keeps the recall order for rrf and interpolation', () => {
    for (const method of ['rrf', 'interpolate'] as const) {
      const out = fuseStages(list, 'dense', { method, weight: 0, rrfK: 60, normalize: 'zscore' });
      expect(ids(out)).toEqual(['a', 'b', 'c', 'd']);
    }
  });

  it('weight 1 equals reranker order', () => {
    for (const method of ['rrf', 'interpolate'] as const) {
      const out = fuseStages(list, 'dense', { method, weight: 1, rrfK: 60, normalize: 'minmax' });
      expect(ids(out)).toEqual(['d', 'c', 'b', 'a']);
    }
  });

  it('rrf with equal weights ranks by summed reciprocal ranks', () => {
    const out = fuseStages(list, 'dense', { method: 'rrf', weight: 0.5, rrfK: 1, normalize: 'zscore' });
    // a: 1/5 + 1/2 = .70, b: 1/4 + 1/3 = .583, c: 1/3 + 1/4 = .583 (tie: recall order), d: 1/2 + 1/5 = .70 (tie).
    expect(ids(out)).toEqual(['a', 'd', 'b', 'c']);
    expect(out[0]?.scores.final).toBeCloseTo(0.5 * (1 / 5) + 0.5 * (1 / 2), 12);
  });

  it('interpolation with min-max normalisation computes weighted scores', () => {
    const out = fuseStages(list, 'dense', { method: 'interpolate', weight: 0.25, rrfK: 60, normalize: 'minmax' });
    const byId = Object.fromEntries(out.map((c) => [c.chunk.id, c.scores.final]));
    // recall min-max: a 1, b .875, c .75, d 0; rerank: a 0, b .125, c .25, d 1.
    expect(byId.a).toBeCloseTo(0.75, 12);
    expect(byId.b).toBeCloseTo(0.25 * 0.125 + 0.75 * 0.875, 12);
    expect(byId.d).toBeCloseTo(0.25, 12);
  });

  it('without rerank scores, the recall order is final (hybrid uses the fused score)', () => {
    const hybrid = [
      { ...candidate('x', 0), scores: { fused: 0.03 }, ranks: { fused: 2 } },
      { ...candidate('y', 0), scores: { fused: 0.05 }, ranks: { fused: 1 } },
    ];
    const out = fuseStages(hybrid, 'hybrid', { method: 'interpolate', weight: 0.9, rrfK: 60, normalize: 'zscore' });
    expect(ids(out)).toEqual(['y', 'x']);
    expect(out[0]?.scores.final).toBe(0.05);
  });

  it('handles an empty list', () => {
    expect(fuseStages([], 'dense', { method: 'rrf', weight: 0.5, rrfK: 60, normalize: 'zscore' })).toEqual([]);
  });
});

describe('collapseDuplicates', () => {
  it('drops a chunk with the same text as a better-recalled one', () => {
    const a = candidate('a', 0.9);
    const copy = {
      ...candidate('b', 0.8),
      chunk: { ...candidate('b', 0.8).chunk, text: a.chunk.text, documentId: 'other' },
    };
    expect(ids(collapseDuplicates([a, copy]))).toEqual(['a']);
  });

  it('drops a heavily overlapping window of the same document, keeps a light overlap and other documents', () => {
    const first = candidate('w1', 0.9, undefined, [0, 100], 'doc');
    const heavy = candidate('w2', 0.8, undefined, [20, 120], 'doc');
    const light = candidate('w3', 0.7, undefined, [90, 190], 'doc');
    const elsewhere = candidate('w4', 0.6, undefined, [0, 100], 'doc2');
    expect(ids(collapseDuplicates([first, heavy, light, elsewhere]))).toEqual(['w1', 'w3', 'w4']);
  });
});

describe('fuseRankedLists', () => {
  const list = (...names: string[]) => names.map((name) => candidate(name, 0));

  it('adds w / (rrfK + rank) from each list, keeps the best k, and breaks ties by chunk id', () => {
    const fused = fuseRankedLists(
      [
        { candidates: list('a', 'b', 'c'), weight: 1 },
        { candidates: list('c', 'd'), weight: 1 },
      ],
      { rrfK: 60, k: 3 },
    );
    // c: 1/63 + 1/61; a: 1/61; d: 1/62; b: 1/62 (b and d tie: b first by id)
    expect(ids(fused)).toEqual(['c', 'a', 'b']);
    expect(fused[0]?.scores.fused).toBeCloseTo(1 / 63 + 1 / 61, 15);
    expect(fused.map((c) => c.ranks.fused)).toEqual([1, 2, 3]);
  });

  it('follows the weights, and writes the stage asked for', () => {
    const fused = fuseRankedLists(
      [
        { candidates: list('a', 'b'), weight: 1 },
        { candidates: list('x', 'y'), weight: 3 },
      ],
      { rrfK: 60, k: 4, stage: 'lexical' },
    );
    expect(ids(fused)).toEqual(['x', 'y', 'a', 'b']);
    expect(fused[0]?.scores.lexical).toBeCloseTo(3 / 61, 15);
    expect(fused[0]?.scores.fused).toBeUndefined();
  });

  it('is the same term fuseStages adds for rrf', () => {
    expect(reciprocalRank(0.3, 60, 2)).toBeCloseTo(0.3 / 62, 15);
  });
});
