import { type EmbeddedChunk, WinnowError } from '@winnow/core';
import type { BinaryCopyWriter } from './copy-binary.js';
import { HALF_MAX_ROUNDABLE } from './copy-binary.js';
import type { VectorType } from './settings.js';
import { checkVector, formatVector } from './vector-text.js';

/** The chunk columns in write order, shared by COPY and INSERT so both paths store the same thing. */
export const CHUNK_COLUMNS = [
  'id',
  'document_id',
  'ordinal',
  'text',
  'embed_text',
  'heading_path',
  'provenance',
  'metadata',
  'token_count',
  'hash',
  'embedding',
] as const;

/** One validated chunk as column values. */
export interface ChunkRow {
  id: string;
  documentId: string;
  ordinal: number;
  text: string;
  embedText: string | null;
  headingPath: string[];
  provenance: string;
  metadata: string;
  tokenCount: number;
  hash: string;
  embedding: Float32Array;
  /** Names the chunk in errors. */
  owner: string;
  field: string;
}

/** The largest magnitude a vector type can store (half precision overflows at 65520). */
export function maxMagnitude(vectorType: VectorType): number {
  return vectorType === 'halfvec' ? HALF_MAX_ROUNDABLE : Number.POSITIVE_INFINITY;
}

/** Validates one chunk of a document write; errors name the chunk. */
export function toChunkRow(
  chunk: EmbeddedChunk,
  documentId: string,
  dimensions: number,
  vectorType: VectorType,
): ChunkRow {
  const owner = `chunk ${chunk.ordinal} (${chunk.id}) of document ${documentId}`;
  const field = `documents[${documentId}].chunks[${chunk.ordinal}]`;
  if (chunk.documentId !== documentId) {
    throw new WinnowError('E_INTERNAL', `${owner} says it belongs to document ${chunk.documentId}`, {
      field: `${field}.documentId`,
    });
  }
  if (!Number.isInteger(chunk.ordinal) || chunk.ordinal < 0 || chunk.ordinal > 2_147_483_647) {
    throw new WinnowError('E_INTERNAL', `${owner} has ordinal ${chunk.ordinal}; expected a non-negative integer`, {
      field: `${field}.ordinal`,
    });
  }
  // PostgreSQL text cannot hold NUL; say which chunk has one instead of failing the whole batch obscurely.
  for (const [name, value] of [
    ['text', chunk.text],
    ['embedText', chunk.embedText ?? ''],
  ] as const) {
    if (value.includes('\u0000')) {
      throw new WinnowError('E_ENCODING', `${owner} has a NUL character in its ${name}`, { field: `${field}.${name}` });
    }
  }
  checkVector(chunk.embedding, dimensions, { owner, field: `${field}.embedding` }, maxMagnitude(vectorType));
  return {
    id: chunk.id,
    documentId,
    ordinal: chunk.ordinal,
    text: chunk.text,
    embedText: chunk.embedText === undefined || chunk.embedText === chunk.text ? null : chunk.embedText,
    headingPath: chunk.headingPath,
    provenance: JSON.stringify(chunk.provenance),
    metadata: JSON.stringify(chunk.metadata ?? {}),
    tokenCount: Math.round(chunk.tokenCount),
    hash: chunk.hash,
    embedding: chunk.embedding,
    owner,
    field,
  };
}

/** Values in CHUNK_COLUMNS order for a parameterised INSERT (the vector as pgvector text). */
export function chunkRowParams(row: ChunkRow): unknown[] {
  return [
    row.id,
    row.documentId,
    row.ordinal,
    row.text,
    row.embedText,
    row.headingPath,
    row.provenance,
    row.metadata,
    row.tokenCount,
    row.hash,
    formatVector(row.embedding, row.embedding.length, { owner: row.owner, field: `${row.field}.embedding` }),
  ];
}

/** One row of binary COPY in CHUNK_COLUMNS order. */
export function writeChunkRow(writer: BinaryCopyWriter, row: ChunkRow, vectorType: VectorType): void {
  writer.row(CHUNK_COLUMNS.length);
  writer.text(row.id);
  writer.text(row.documentId);
  writer.int4(row.ordinal);
  writer.text(row.text);
  if (row.embedText === null) writer.null();
  else writer.text(row.embedText);
  writer.textArray(row.headingPath);
  writer.jsonb(row.provenance);
  writer.jsonb(row.metadata);
  writer.int4(row.tokenCount);
  writer.text(row.hash);
  writer.vector(row.embedding, vectorType);
}
