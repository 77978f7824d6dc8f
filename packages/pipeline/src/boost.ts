import type { Candidate, CandidateStage, JsonPrimitive, JsonValue } from '@winnow/core';
import { rankFinal } from './fusion.js';

export interface MetadataBoost {
  /** A metadata key, looked up on the chunk, then on its document. */
  key: string;
  /** Values that earn the boost (any of). Omitted: any candidate that has the key. */
  equals?: JsonPrimitive | JsonPrimitive[];
  /** Added to the final score; negative values demote. */
  add: number;
}

/**
 * Adds fixed amounts to `scores.final` of candidates whose metadata matches, then re-sorts by final score (ties keep
 * the incoming order). Place it after fusion; candidates without a final score stay below those with one. Fused
 * scores have method-dependent scales (RRF ~0.01, z-scores ~1), so choose `add` for the fusion method in use.
 */
export function metadataBoostStage(options: { boosts: readonly MetadataBoost[] }): CandidateStage {
  const boostOf = (candidate: Candidate) =>
    options.boosts.reduce((sum, boost) => sum + (matches(candidate, boost) ? boost.add : 0), 0);
  return {
    name: 'metadata-boost',
    async run(_query, candidates) {
      const boosted = candidates.map((candidate, index) => ({
        candidate,
        index,
        final: (candidate.scores.final ?? Number.NEGATIVE_INFINITY) + boostOf(candidate),
      }));
      boosted.sort((a, b) => b.final - a.final || a.index - b.index);
      const finals = new Map(boosted.map((b) => [b.candidate, b.final]));
      return rankFinal(
        boosted.map((b) => b.candidate),
        (c) => {
          const final = finals.get(c);
          return final !== undefined && Number.isFinite(final) ? final : undefined;
        },
      );
    },
  };
}

function matches(candidate: Candidate, boost: MetadataBoost): boolean {
  const value: JsonValue | undefined = candidate.chunk.metadata[boost.key] ?? candidate.document?.metadata[boost.key];
  if (value === undefined) return false;
  if (boost.equals === undefined) return true;
  const wanted = Array.isArray(boost.equals) ? boost.equals : [boost.equals];
  return wanted.some((w) => w === value);
}
