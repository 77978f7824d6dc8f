import { type Candidate, type CandidateStage, textHash } from '@winnow/core';

/**
 * Collapses near-duplicates before the expensive stage: chunks with the same text (any document), and chunks of
 * one document whose character spans overlap by more than half of the shorter one (overlapping windows of the
 * same passage). Input is in recall order; the first (best-recalled) of each group is kept.
 */
export function collapseDuplicates(candidates: readonly Candidate[], minOverlap = 0.5): Candidate[] {
  const seenText = new Set<string>();
  const kept: Candidate[] = [];
  for (const candidate of candidates) {
    const key = textHash(candidate.chunk.text);
    if (seenText.has(key)) continue;
    const { charStart, charEnd } = candidate.chunk.provenance;
    const overlapsKept = kept.some((other) => {
      if (other.chunk.documentId !== candidate.chunk.documentId) return false;
      const a = other.chunk.provenance;
      const overlap = Math.min(a.charEnd, charEnd) - Math.max(a.charStart, charStart);
      const shorter = Math.min(a.charEnd - a.charStart, charEnd - charStart);
      return shorter > 0 && overlap / shorter > minOverlap;
    });
    if (overlapsKept) continue;
    seenText.add(key);
    kept.push(candidate);
  }
  return kept;
}

/** The dedupe stage: collapseDuplicates before the expensive stages. */
export function dedupeStage(options: { minOverlap?: number } = {}): CandidateStage {
  return { name: 'dedupe', run: async (_query, candidates) => collapseDuplicates(candidates, options.minOverlap) };
}
