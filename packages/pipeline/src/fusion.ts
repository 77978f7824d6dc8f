import {
  type Candidate,
  type CandidateStage,
  DEFAULT_FUSION_WEIGHT,
  type RecallMode,
  type ScoreStage,
} from '@winnow/core';

/** How the final order is made from the recall stage and the rerank stage. */
export interface FusionOptions {
  /** 'rerank': rerank score only; 'rrf': reciprocal-rank fusion of both ranks; 'interpolate': weighted normalised scores. */
  method: 'rerank' | 'rrf' | 'interpolate';
  /** Weight of the rerank stage in [0, 1]; recall gets 1 - weight. 1 equals 'rerank', 0 keeps recall order. */
  weight: number;
  rrfK: number;
  normalize: 'zscore' | 'minmax';
}

/** The config's default (core's fusion schema): z-scored interpolation, the reranker's share chosen on SciFact train. */
export const DEFAULT_FUSION: FusionOptions = {
  method: 'interpolate',
  weight: DEFAULT_FUSION_WEIGHT,
  rrfK: 60,
  normalize: 'zscore',
};

/** The score field stage 1 fills for a recall mode: hybrid recall's score is the fused one. */
export function recallStage(mode: RecallMode): ScoreStage {
  return mode === 'hybrid' ? 'fused' : mode;
}

/** The score and rank that stage 1 gave a candidate, whatever the recall mode. */
export function recallScore(candidate: Candidate, mode: RecallMode): { score: number; rank: number } {
  const stage = recallStage(mode);
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
  if (scored.length === 0) return rankFinal(byRecall(candidates, mode), (c) => recallScore(c, mode).score);
  const unscored = byRecall(
    candidates.filter((c) => c.scores.rerank === undefined),
    mode,
  );
  const finals = fusedScores(scored, mode, options);
  const order = scored
    .map((candidate, index) => ({ candidate, final: finals[index] ?? Number.NEGATIVE_INFINITY }))
    .sort((a, b) => b.final - a.final || recallScore(a.candidate, mode).rank - recallScore(b.candidate, mode).rank);
  const final = new Map(order.map(({ candidate, final }) => [candidate, final]));
  return rankFinal([...order.map((o) => o.candidate), ...unscored], (c) => final.get(c));
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
      return reciprocalRank(w, options.rrfK, rerankRank) + reciprocalRank(1 - w, options.rrfK, recallRank);
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

/**
 * Numbers candidates in the given order (`ranks.final` 1..n) and sets `scores.final` where `finalOf` gives one.
 * Stages that reorder after fusion (MMR, boosts) finish with it, so `ranks.final` is always the returned order.
 */
export function rankFinal(ordered: readonly Candidate[], finalOf: (c: Candidate) => number | undefined): Candidate[] {
  return ordered.map((candidate, i) => {
    const final = finalOf(candidate);
    return {
      ...candidate,
      scores: final === undefined ? { ...candidate.scores } : { ...candidate.scores, final },
      ranks: { ...candidate.ranks, final: i + 1 },
    };
  });
}

/** The one weighted reciprocal-rank term, w / (rrfK + rank): every RRF in winnow (JS) adds these. */
export function reciprocalRank(weight: number, rrfK: number, rank: number): number {
  return weight / (rrfK + rank);
}

export interface RankedList {
  /** Best first; a candidate's rank is its 1-based position. */
  candidates: readonly Candidate[];
  weight: number;
}

/**
 * Weighted reciprocal-rank fusion of ranked lists, as the store's hybrid search computes it in SQL for a dense and a
 * lexical list: Σ w / (rrfK + rank) over the lists a chunk is in, the best k, ties by chunk id. The fused score and
 * rank go in `stage` (default 'fused'). Used to tune hybrid recall's weights without re-querying the store, and to
 * merge the lists of several queries (multi-query expansion).
 */
export function fuseRankedLists(
  lists: readonly RankedList[],
  options: { rrfK: number; k: number; stage?: ScoreStage },
): Candidate[] {
  const stage = options.stage ?? 'fused';
  const fused = new Map<string, { candidate: Candidate; score: number }>();
  for (const list of lists) {
    for (const [index, candidate] of list.candidates.entries()) {
      const entry = fused.get(candidate.chunk.id) ?? { candidate, score: 0 };
      entry.score += reciprocalRank(list.weight, options.rrfK, index + 1);
      fused.set(candidate.chunk.id, entry);
    }
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || (a.candidate.chunk.id < b.candidate.chunk.id ? -1 : 1))
    .slice(0, options.k)
    .map(({ candidate, score }, index) => ({
      ...candidate,
      scores: { ...candidate.scores, [stage]: score },
      ranks: { ...candidate.ranks, [stage]: index + 1 },
    }));
}

/** The fusion stage: the final order from recall and rerank (see fuseStages); without rerank scores, recall order. */
export function fuseStage(options: Partial<FusionOptions> = {}): CandidateStage {
  const fusion: FusionOptions = { ...DEFAULT_FUSION, ...options };
  return {
    name: 'fuse',
    run: async (_query, candidates, context) => fuseStages(candidates, context.recallMode, fusion),
  };
}
