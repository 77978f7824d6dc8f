import { type EmbeddedChunk, WinnowError } from '@winnow/core';
import { formatVector } from './vector-text.js';

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

/** One chunk as column values: strings ready for SQL parameters or COPY text, after validation. */
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
  embedding: string;
}

/** Validates one chunk of a document write and renders its values; errors name the chunk. */
export function toChunkRow(chunk: EmbeddedChunk, documentId: string, dimensions: number): ChunkRow {
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
    embedding: formatVector(chunk.embedding, dimensions, { owner, field: `${field}.embedding` }),
  };
}

/** Values in CHUNK_COLUMNS order, for parameterised INSERTs. */
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
    row.embedding,
  ];
}

/** COPY text format escapes: backslash, and the row/column separators. */
function copyEscape(value: string): string {
  return value.replace(/[\\\n\r\t]/g, (char) =>
    char === '\\' ? '\\\\' : char === '\n' ? '\\n' : char === '\r' ? '\\r' : '\\t',
  );
}

/** A text[] literal: every element double-quoted with `"` and `\` escaped. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/["\\]/g, (char) => `\\${char}`)}"`).join(',')}}`;
}

/** One line of COPY text format (tab-separated, `\N` for NULL) in CHUNK_COLUMNS order. */
export function chunkRowCopyLine(row: ChunkRow): string {
  return `${[
    copyEscape(row.id),
    copyEscape(row.documentId),
    String(row.ordinal),
    copyEscape(row.text),
    row.embedText === null ? '\\N' : copyEscape(row.embedText),
    copyEscape(arrayLiteral(row.headingPath)),
    copyEscape(row.provenance),
    copyEscape(row.metadata),
    String(row.tokenCount),
    copyEscape(row.hash),
    row.embedding,
  ].join('\t')}\n`;
}
