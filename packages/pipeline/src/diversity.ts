import { type Candidate, type CandidateStage, WinnowError } from '@winnow/core';
import { rankFinal, recallScore } from './fusion.js';

export interface MmrStageOptions {
  /** 1 keeps the incoming order; lower values trade relevance for diversity. */
  lambda: number;
  /** Candidates (from the top) that MMR reorders; the rest keep their places below. Default 20. */
  depth?: number;
  /** Similarity of two candidates in [0, 1]. Default: overlap (Jaccard) of their word sets. */
  similarity?: (a: Candidate, b: Candidate) => number;
}

/**
 * Maximal marginal relevance over the current order (place it after fusion): picks one candidate at a time,
 * maximising λ·relevance − (1 − λ)·max similarity to those already picked. Relevance is the final score (the recall
 * score before fusion), min-max scaled over the reordered top. Candidates carry no embeddings, so similarity is
 * textual by default; dense recall can diversify by embeddings in the store instead (`recall.mmr`).
 */
export function mmrStage(options: MmrStageOptions): CandidateStage {
  const { lambda } = options;
  if (!(lambda >= 0 && lambda <= 1)) {
    throw new WinnowError('E_CONFIG_INVALID', `lambda must be between 0 and 1, got ${String(lambda)}`, {
      field: 'mmr.lambda',
    });
  }
  const depth = options.depth ?? 20;
  const similarity = options.similarity ?? wordOverlap;
  return {
    name: 'mmr',
    async run(_query, candidates, { recallMode }) {
      const top = candidates.slice(0, depth);
      const raw = top.map((c) => c.scores.final ?? recallScore(c, recallMode).score);
      const finite = raw.filter(Number.isFinite);
      const min = Math.min(...finite);
      const max = Math.max(...finite);
      const relevance = raw.map((v) => (!Number.isFinite(v) ? 0 : max > min ? (v - min) / (max - min) : 1));
      const picked: number[] = [];
      const left = new Set(top.keys());
      while (left.size > 0) {
        let best = -1;
        let bestValue = Number.NEGATIVE_INFINITY;
        for (const i of left) {
          const redundancy = Math.max(0, ...picked.map((j) => similarity(top[i] as Candidate, top[j] as Candidate)));
          const value = lambda * (relevance[i] as number) - (1 - lambda) * redundancy;
          if (value > bestValue) {
            bestValue = value;
            best = i;
          }
        }
        picked.push(best);
        left.delete(best);
      }
      return rankFinal([...picked.map((i) => top[i] as Candidate), ...candidates.slice(depth)], (c) => c.scores.final);
    },
  };
}

const words = (text: string) => new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);

/** Jaccard overlap of two candidates' word sets. */
export function wordOverlap(a: Candidate, b: Candidate): number {
  const x = words(a.chunk.text);
  const y = words(b.chunk.text);
  let shared = 0;
  for (const word of x) if (y.has(word)) shared++;
  const union = x.size + y.size - shared;
  return union === 0 ? 0 : shared / union;
}
