import { Document } from '@langchain/core/documents';
import type { Candidate, Chunk, JsonValue, Metadata, StageScores } from '@winnow/core';

/**
 * LangChain documents carry flat metadata. winnow's fields go under fixed keys beside the chunk's own metadata,
 * so they survive a round trip through LangChain (retriever → compressor) and back to a winnow Candidate.
 */
export interface WinnowDocumentMetadata extends Record<string, unknown> {
  chunkId: string;
  documentId: string;
  ordinal: number;
  uri?: string;
  title?: string;
  headingPath: string[];
  page?: number;
  charStart: number;
  charEnd: number;
  tokenCount: number;
  hash: string;
  scores: StageScores;
  ranks: StageScores;
}

const WINNOW_KEYS = new Set([
  'chunkId',
  'documentId',
  'ordinal',
  'uri',
  'title',
  'headingPath',
  'page',
  'charStart',
  'charEnd',
  'tokenCount',
  'hash',
  'scores',
  'ranks',
]);

export function candidateToDocument(candidate: Candidate): Document<WinnowDocumentMetadata> {
  const { chunk, document } = candidate;
  const metadata: WinnowDocumentMetadata = {
    ...chunk.metadata,
    chunkId: chunk.id,
    documentId: chunk.documentId,
    ordinal: chunk.ordinal,
    headingPath: chunk.headingPath,
    charStart: chunk.provenance.charStart,
    charEnd: chunk.provenance.charEnd,
    tokenCount: chunk.tokenCount,
    hash: chunk.hash,
    scores: candidate.scores,
    ranks: candidate.ranks,
  };
  if (document?.uri !== undefined) metadata.uri = document.uri;
  if (document?.title !== undefined) metadata.title = document.title;
  if (chunk.provenance.page !== undefined) metadata.page = chunk.provenance.page;
  return new Document({ pageContent: chunk.text, metadata, id: chunk.id });
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/**
 * Maps any LangChain document back to a winnow Candidate. Documents that did not come from winnow get an id from
 * their LangChain id or position, and their metadata is kept as chunk metadata.
 */
export function documentToCandidate(doc: Document, position: number): Candidate {
  const meta = doc.metadata as Record<string, unknown>;
  const own: Metadata = {};
  for (const [key, value] of Object.entries(meta)) {
    if (!WINNOW_KEYS.has(key) && value !== undefined) own[key] = value as JsonValue;
  }
  const id = typeof meta.chunkId === 'string' ? meta.chunkId : (doc.id ?? `langchain-${position}`);
  const chunk: Chunk = {
    id,
    documentId: typeof meta.documentId === 'string' ? meta.documentId : id,
    ordinal: num(meta.ordinal, 0),
    text: doc.pageContent,
    headingPath: Array.isArray(meta.headingPath) ? meta.headingPath.map(String) : [],
    tokenCount: num(meta.tokenCount, 0),
    provenance: {
      charStart: num(meta.charStart, 0),
      charEnd: num(meta.charEnd, doc.pageContent.length),
      ...(typeof meta.page === 'number' ? { page: meta.page } : {}),
    },
    metadata: own,
    hash: typeof meta.hash === 'string' ? meta.hash : id,
  };
  const candidate: Candidate = {
    chunk,
    scores: (meta.scores as StageScores | undefined) ?? {},
    ranks: (meta.ranks as StageScores | undefined) ?? {},
  };
  if (typeof meta.uri === 'string') {
    candidate.document = {
      id: chunk.documentId,
      uri: meta.uri,
      contentHash: '',
      metadata: {},
      ...(typeof meta.title === 'string' ? { title: meta.title } : {}),
    };
  }
  return candidate;
}
