/** Tuning hybrid recall's lexical weight: how a weight is chosen (the fusion itself is tested in the pipeline). */
import type { Candidate } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { chooseLexicalWeight } from '../src/index.js';

function candidate(id: string): Candidate {
  return {
    chunk: { id, documentId: id, text: id, metadata: {} } as unknown as Candidate['chunk'],
    scores: {},
    ranks: {},
  };
}
const list = (...ids: string[]) => ids.map(candidate);

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
