import type { Callbacks } from '@langchain/core/callbacks/manager';
import type { Document } from '@langchain/core/documents';
import { BaseDocumentCompressor } from '@langchain/core/retrievers/document_compressors';
import { type Reranker, rerankCandidates } from '@winnow/core';
import { candidateToDocument, documentToCandidate } from './metadata.js';

export interface WinnowRerankerInput {
  reranker: Reranker;
  /** Documents kept. Default 5. */
  k?: number;
  /** Passages per reranker call. Default 16. */
  batchSize?: number;
}

/**
 * A LangChain document compressor over a winnow reranker (core's rerank loop): scores every (query, document) pair,
 * keeps the best k, and records the rerank score and rank in each document's metadata (`scores.rerank`, `ranks.rerank`).
 */
export class WinnowReranker extends BaseDocumentCompressor {
  private readonly reranker: Reranker;
  private readonly k: number;
  private readonly batchSize: number;

  constructor(input: WinnowRerankerInput) {
    super();
    this.reranker = input.reranker;
    this.k = input.k ?? 5;
    this.batchSize = input.batchSize ?? 16;
  }

  override async compressDocuments(documents: Document[], query: string, _callbacks?: Callbacks): Promise<Document[]> {
    const candidates = documents.map((document, index) => documentToCandidate(document, index));
    const ranked = await rerankCandidates(this.reranker, query, candidates, { k: this.k, batchSize: this.batchSize });
    return ranked.map(candidateToDocument);
  }
}
