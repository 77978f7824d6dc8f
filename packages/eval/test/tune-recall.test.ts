/** Tuning hybrid recall's lexical weight: the fusion used while tuning, and how a weight is chosen. */
import type { Candidate } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { chooseLexicalWeight, fuseHybridLists } from '../src/index.js';

function candidate(id: string): Candidate {
  return {
    chunk: { id, documentId: id, text: id, metadata: {} } as unknown as Candidate['chunk'],
    scores: {},
    ranks: {},
  };
}
const list = (...ids: string[]) => ids.map(candidate);

describe('fuseHybridLists', () => {
  it('adds w / (rrfK + rank) from each list, keeps the best k, and breaks ties by chunk id', () => {
    const fused = fuseHybridLists(list('a', 'b', 'c'), list('c', 'd'), { dense: 1, lexical: 1 }, 60, 3);
    // c: 1/63 + 1/61; a: 1/61; d: 1/62; b: 1/62 (b and d tie: b first by id)
    expect(fused.map((c) => c.chunk.id)).toEqual(['c', 'a', 'b']);
    expect(fused[0]?.scores.fused).toBeCloseTo(1 / 63 + 1 / 61, 15);
    expect(fused.map((c) => c.ranks.fused)).toEqual([1, 2, 3]);
  });

  it('follows the weights: a heavy lexical side puts its hits first', () => {
    const fused = fuseHybridLists(list('a', 'b'), list('x', 'y'), { dense: 1, lexical: 3 }, 60, 4);
    expect(fused.map((c) => c.chunk.id)).toEqual(['x', 'y', 'a', 'b']);
  });
});

describe('chooseLexicalWeight', () => {
  const dense = [{ queryId: 'q', candidates: list('a', 'b') }];
  const lexical = [{ queryId: 'q', candidates: list('x', 'y') }];
  const base = { denseWeight: 1, rrfK: 60, k: 2, weights: [0.5, 1, 2] };

  it('picks the weight whose fused lists score best', () => {
    // Scores 1 when the lexical list's top hit leads, which takes a lexical weight above the dense one.
    const score = (fused: { candidates: Candidate[] }[]) => (fused[0]?.candidates[0]?.chunk.id === 'x' ? 1 : 0);
    const chosen = chooseLexicalWeight(dense, lexical, { ...base, configuredLexicalWeight: 1, score });
    expect(chosen.lexicalWeight).toBe(2);
    expect(chosen.grid).toEqual([
      { lexicalWeight: 0.5, value: 0 },
      { lexicalWeight: 1, value: 0 },
      { lexicalWeight: 2, value: 1 },
    ]);
  });

  it('keeps the configured weight on a tie, and tries it even when the grid lacks it', () => {
    const chosen = chooseLexicalWeight(dense, lexical, { ...base, configuredLexicalWeight: 0.8, score: () => 0.5 });
    expect(chosen.lexicalWeight).toBe(0.8);
    expect(chosen.grid.map((g) => g.lexicalWeight)).toEqual([0.5, 0.8, 1, 2]);
  });
});
