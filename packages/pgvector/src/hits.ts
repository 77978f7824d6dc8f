import type { Candidate, Chunk, ChunkProvenance, DocumentRecord, Metadata, ScoreStage } from '@winnow/core';

/** A search result row: the chunk, its document, and whichever scores the query computed. */
export interface HitRow {
  id: string;
  document_id: string;
  ordinal: number;
  text: string;
  embed_text: string | null;
  heading_path: string[];
  provenance: ChunkProvenance;
  chunk_metadata: Metadata;
  token_count: number;
  hash: string;
  uri: string;
  content_hash: string;
  title: string | null;
  document_metadata: Metadata;
  embedding?: string;
  distance?: number | null;
  dense_rank?: number | null;
  lexical_score?: number | null;
  lexical_rank?: number | null;
  fused_score?: number | null;
}

export function rowToChunk(row: HitRow): Chunk {
  const chunk: Chunk = {
    id: row.id,
    documentId: row.document_id,
    ordinal: row.ordinal,
    text: row.text,
    headingPath: row.heading_path,
    tokenCount: row.token_count,
    provenance: row.provenance,
    metadata: row.chunk_metadata,
    hash: row.hash,
  };
  if (row.embed_text !== null) chunk.embedText = row.embed_text;
  return chunk;
}

export function rowToDocument(row: {
  document_id?: string;
  id?: string;
  uri: string;
  content_hash: string;
  title: string | null;
  document_metadata: Metadata;
}): DocumentRecord {
  const document: DocumentRecord = {
    id: (row.document_id ?? row.id) as string,
    uri: row.uri,
    contentHash: row.content_hash,
    metadata: row.document_metadata,
  };
  if (row.title !== null) document.title = row.title;
  return document;
}

/** [score, 1-based rank] per stage; undefined stages are left out. */
export type StageHits = Partial<Record<ScoreStage, [number, number] | undefined>>;

export function hitToCandidate(row: HitRow, stages: StageHits): Candidate {
  const candidate: Candidate = { chunk: rowToChunk(row), document: rowToDocument(row), scores: {}, ranks: {} };
  for (const [stage, hit] of Object.entries(stages) as Array<[ScoreStage, [number, number] | undefined]>) {
    if (hit === undefined) continue;
    candidate.scores[stage] = hit[0];
    candidate.ranks[stage] = hit[1];
  }
  return candidate;
}
