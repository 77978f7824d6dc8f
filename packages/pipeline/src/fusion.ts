import type { Candidate, RecallMode } from '@winnow/core';

/** How the final order is made from the recall stage and the rerank stage. */
export interface FusionOptions {
  /** 'rerank': rerank score only; 'rrf': reciprocal-rank fusion of both ranks; 'interpolate': weighted normalised scores. */
  method: 'rerank' | 'rrf' | 'interpolate';
  /** Weight of the rerank stage in [0, 1]; recall gets 1 - weight. 1 equals 'rerank', 0 keeps recall order. */
  weight: number;
  rrfK: number;
  normalize: 'zscore' | 'minmax';
}

export const DEFAULT_FUSION: FusionOptions = { method: 'rerank', weight: 0.5, rrfK: 60, normalize: 'zscore' };

/** The score and rank that stage 1 gave a candidate, whatever the recall mode. */
export function recallScore(candidate: Candidate, mode: RecallMode): { score: number; rank: number } {
  const stage = mode === 'hybrid' ? 'fused' : mode;
  return {
    score: candidate.scores[stage] ?? Number.NEGATIVE_INFINITY,
    rank: candidate.ranks[stage] ?? Number.POSITIVE_INFINITY,
  };
}

function normalise(values: number[], how: FusionOptions['normalize']): number[] {
  if (values.length === 0) return values;
  if (how === 'minmax') {
    const min = Math.min(...values);
    const max = Math.max(...values);
    return values.map((v) => (max > min ? (v - min) / (max - min) : 0));
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return values.map((v) => (sd > 0 ? (v - mean) / sd : 0));
}

/**
 * Sets `scores.final` and `ranks.final` on every candidate and returns them in final order (best first).
 * Candidates with a rerank score (the top `rerank.depth`) are fused and come first; those without follow in recall
 * order, with `ranks.final` only. Without any rerank scores the recall order stands. Ties keep the recall order, so
 * results are deterministic. Fusion guards against a weak or out-of-domain reranker: with a tuned weight, recall
 * evidence is never discarded.
 */
export function fuseStages(candidates: readonly Candidate[], mode: RecallMode, options: FusionOptions): Candidate[] {
  const scored = candidates.filter((c) => c.scores.rerank !== undefined);
  if (scored.length === 0) return numberFinal(byRecall(candidates, mode), (c) => recallScore(c, mode).score);
  const unscored = byRecall(
    candidates.filter((c) => c.scores.rerank === undefined),
    mode,
  );
  const finals = fusedScores(scored, mode, options);
  const order = scored
    .map((candidate, index) => ({ candidate, final: finals[index] ?? Number.NEGATIVE_INFINITY }))
    .sort((a, b) => b.final - a.final || recallScore(a.candidate, mode).rank - recallScore(b.candidate, mode).rank);
  const final = new Map(order.map(({ candidate, final }) => [candidate, final]));
  return numberFinal([...order.map((o) => o.candidate), ...unscored], (c) => final.get(c));
}

/** Final scores of reranked candidates, in their input order. */
function fusedScores(candidates: readonly Candidate[], mode: RecallMode, options: FusionOptions): number[] {
  const recall = candidates.map((c) => recallScore(c, mode));
  if (options.method === 'rerank') return candidates.map((c) => c.scores.rerank ?? 0);
  if (options.method === 'rrf') {
    const w = options.weight;
    return candidates.map((c, i) => {
      const rerankRank = c.ranks.rerank ?? candidates.length;
      const recallRank = Math.min(recall[i]?.rank ?? candidates.length, candidates.length);
      return w / (options.rrfK + rerankRank) + (1 - w) / (options.rrfK + recallRank);
    });
  }
  const recallN = normalise(
    recall.map((r) => r.score),
    options.normalize,
  );
  const rerankN = normalise(
    candidates.map((c) => c.scores.rerank ?? 0),
    options.normalize,
  );
  return candidates.map((_, i) => options.weight * (rerankN[i] ?? 0) + (1 - options.weight) * (recallN[i] ?? 0));
}

/** Stable sort by recall rank (input order breaks ties). */
function byRecall(candidates: readonly Candidate[], mode: RecallMode): Candidate[] {
  return candidates
    .map((candidate, index) => ({ candidate, index, rank: recallScore(candidate, mode).rank }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.candidate);
}

function numberFinal(ordered: readonly Candidate[], finalOf: (c: Candidate) => number | undefined): Candidate[] {
  return ordered.map((candidate, i) => {
    const final = finalOf(candidate);
    return {
      ...candidate,
      scores: final === undefined ? { ...candidate.scores } : { ...candidate.scores, final },
      ranks: { ...candidate.ranks, final: i + 1 },
    };
  });
}
