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

/** The chunk a generated question was written from, as `winnow eval --generate` keeps it in the query's metadata. */
export interface SourceChunk {
  id: string;
  documentId: string;
  text: string;
}

/** The source chunk of a query whose metadata holds one (`metadata.sourceChunk`), else undefined. */
export function sourceChunkOf(metadata: Record<string, unknown>): SourceChunk | undefined {
  const source = metadata.sourceChunk as Partial<SourceChunk> | undefined;
  if (
    source &&
    typeof source.id === 'string' &&
    typeof source.documentId === 'string' &&
    typeof source.text === 'string'
  ) {
    return { id: source.id, documentId: source.documentId, text: source.text };
  }
  return undefined;
}

const trigrams = (text: string) => {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const grams = new Set<string>();
  for (let i = 0; i + 3 <= words.length; i++) grams.add(words.slice(i, i + 3).join(' '));
  return grams;
};

/**
 * Whether a retrieved chunk is the source chunk: the same id, or (when the evaluation chunks the corpus anew, so
 * ids differ) a chunk of the same document holding at least half of the source's word trigrams.
 */
export function isSourceChunk(chunk: { id: string; documentId: string; text: string }, source: SourceChunk): boolean {
  if (chunk.id === source.id) return true;
  if (chunk.documentId !== source.documentId) return false;
  const wanted = trigrams(source.text);
  if (wanted.size === 0) return chunk.text.trim() === source.text.trim();
  const have = trigrams(chunk.text);
  let shared = 0;
  for (const gram of wanted) if (have.has(gram)) shared += 1;
  return shared * 2 >= wanted.size;
}

/**
 * Chunk-level hit@k and MRR@k of one query (LlamaIndex's and Haystack's "hit rate" and "MRR" of the source chunk):
 * 1 and 1/rank when the source chunk is among the first k candidates, else 0.
 */
export function chunkLevelScores(
  candidates: readonly Candidate[],
  source: SourceChunk,
  k: number,
): { hit: number; reciprocalRank: number } {
  const at = candidates.slice(0, k).findIndex((c) => isSourceChunk(c.chunk, source));
  return at < 0 ? { hit: 0, reciprocalRank: 0 } : { hit: 1, reciprocalRank: 1 / (at + 1) };
}
