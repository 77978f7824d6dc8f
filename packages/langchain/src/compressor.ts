import type { Callbacks } from '@langchain/core/callbacks/manager';
import type { Document } from '@langchain/core/documents';
import { BaseDocumentCompressor } from '@langchain/core/retrievers/document_compressors';
import { type Principal, type Reranker, rerankCandidates } from '@winnow/core';
import { candidateToDocument, documentToCandidate } from './metadata.js';

export interface WinnowRerankerInput {
  reranker: Reranker;
  /** Documents kept. Default 5. */
  k?: number;
  /** Passages per reranker call. Default 16. */
  batchSize?: number;
  /** The user served: a caching reranker keeps this principal's scores apart from other principals'. */
  principal?: Principal;
}

/**
 * A LangChain document compressor over a winnow reranker (core's rerank loop): scores every (query, document) pair,
 * keeps the best k, and records the rerank score and rank in each document's metadata (`scores.rerank`, `ranks.rerank`).
 */
export class WinnowReranker extends BaseDocumentCompressor {
  private readonly reranker: Reranker;
  private readonly k: number;
  private readonly batchSize: number;
  private readonly principal: Principal | undefined;

  constructor(input: WinnowRerankerInput) {
    super();
    this.reranker = input.reranker;
    this.k = input.k ?? 5;
    this.batchSize = input.batchSize ?? 16;
    this.principal = input.principal;
  }

  override async compressDocuments(documents: Document[], query: string, _callbacks?: Callbacks): Promise<Document[]> {
    const candidates = documents.map((document, index) => documentToCandidate(document, index));
    const ranked = await rerankCandidates(this.reranker, query, candidates, {
      k: this.k,
      batchSize: this.batchSize,
      ...(this.principal === undefined ? {} : { principal: this.principal }),
    });
    return ranked.map(candidateToDocument);
  }
}
