import type { Candidate, ChunkProvenance, DocumentRecord, Metadata } from '@winnow/core';
import { textHash } from '@winnow/core';

export interface ChunkSpec {
  documentId?: string;
  ordinal?: number;
  text: string;
  /** Defaults to ordinal * 10_000, so chunks of one document neither touch nor overlap unless asked to. */
  charStart?: number;
  headingPath?: string[];
  provenance?: Partial<ChunkProvenance>;
  metadata?: Metadata;
  document?: Partial<DocumentRecord> | null;
  score?: number;
}

/** A plain Candidate as retrieval would hand it over; document record included unless `document: null`. */
export function candidate(spec: ChunkSpec): Candidate {
  const documentId = spec.documentId ?? 'doc';
  const ordinal = spec.ordinal ?? 0;
  const charStart = spec.charStart ?? ordinal * 10_000;
  const result: Candidate = {
    chunk: {
      id: `${documentId}#${ordinal}`,
      documentId,
      ordinal,
      text: spec.text,
      headingPath: spec.headingPath ?? [],
      tokenCount: 0,
      provenance: { charStart, charEnd: charStart + spec.text.length, ...spec.provenance },
      metadata: spec.metadata ?? {},
      hash: textHash(spec.text),
    },
    scores: { rerank: spec.score ?? 0 },
    ranks: {},
  };
  if (spec.document !== null) {
    result.document = {
      id: documentId,
      uri: `file:///corpus/${documentId}.md`,
      contentHash: 'h',
      metadata: {},
      ...spec.document,
    };
  }
  return result;
}

const WORDS = (
  'retrieval augmented generation packs passages into a prompt so the model can answer with citations ' +
  'while the token budget keeps room for the question and the answer itself'
).split(' ');

/** Deterministic filler prose of about `words` words. */
export function prose(words: number, seed = 0): string {
  const out: string[] = [];
  for (let i = 0; i < words; i += 1) out.push(WORDS[(i * 7 + seed * 3) % WORDS.length] ?? 'word');
  return `${out.join(' ')}.`;
}
