import { type Candidate, type ScoreStage, WinnowError } from '@winnow/core';
import type { Run } from './types.js';

/** A retrieved chunk reduced to what document-level evaluation needs. */
export interface ChunkHit {
  documentId: string;
  score: number;
}

/**
 * Turns chunk-level hits into a document run: each document scores the best of its chunks, since
 * retrieval returns chunks while qrels judge documents. Query order and first-seen document order are kept.
 */
export function documentRunFromChunkHits(hitsByQuery: ReadonlyMap<string, Iterable<ChunkHit>>): Run {
  const run: Run = new Map();
  for (const [queryId, hits] of hitsByQuery) {
    const scores = new Map<string, number>();
    for (const { documentId, score } of hits) {
      if (Number.isNaN(score)) {
        throw new WinnowError(
          'E_DATASET_INVALID',
          `a chunk of document ${JSON.stringify(documentId)} has a NaN score`,
          {
            field: `hits[${JSON.stringify(queryId)}]`,
          },
        );
      }
      const best = scores.get(documentId);
      if (best === undefined || score > best) scores.set(documentId, score);
    }
    run.set(queryId, scores);
  }
  return run;
}

/**
 * Chunk hits from a retrieval result's candidates. With a `stage`, each hit scores that stage's score
 * (every candidate must have it). Without one, the final order is what counts: the hit at position i of
 * n scores n - i, so the document run ranks documents exactly as the pipeline did, with no ties.
 */
export function chunkHitsFromCandidates(candidates: readonly Candidate[], stage?: ScoreStage): ChunkHit[] {
  return candidates.map((candidate, index) => {
    const documentId = candidate.chunk.documentId;
    if (stage === undefined) return { documentId, score: candidates.length - index };
    const score = candidate.scores[stage];
    if (score === undefined) {
      throw new WinnowError(
        'E_DATASET_INVALID',
        `candidate ${index} (chunk ${candidate.chunk.id}) has no ${stage} score`,
        {
          field: `candidates[${index}].scores.${stage}`,
        },
      );
    }
    return { documentId, score };
  });
}
