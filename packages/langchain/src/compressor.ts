import type { Callbacks } from '@langchain/core/callbacks/manager';
import type { Document } from '@langchain/core/documents';
import { BaseDocumentCompressor } from '@langchain/core/retrievers/document_compressors';
import type { Reranker } from '@winnow/core';
import { candidateToDocument, documentToCandidate } from './metadata.js';

export interface WinnowRerankerInput {
  reranker: Reranker;
  /** Documents kept. Default 5. */
  k?: number;
  /** Passages per reranker call. Default 16. */
  batchSize?: number;
}

/**
 * A LangChain document compressor over a winnow reranker: scores every (query, document) pair, keeps the best k,
 * and records the rerank score and rank in each document's metadata (`scores.rerank`, `ranks.rerank`).
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
    if (documents.length === 0) return [];
    const scores: number[] = [];
    for (let start = 0; start < documents.length; start += this.batchSize) {
      const batch = documents.slice(start, start + this.batchSize).map((d) => d.pageContent);
      scores.push(...(await this.reranker.score(query, batch)));
    }
    const order = scores
      .map((score, index) => ({ score, index }))
      .sort((a, b) => b.score - a.score || a.index - b.index);
    return order.slice(0, this.k).map(({ score, index }, rank) => {
      const candidate = documentToCandidate(documents[index] as Document, index);
      return candidateToDocument({
        ...candidate,
        scores: { ...candidate.scores, rerank: score },
        ranks: { ...candidate.ranks, rerank: rank + 1 },
      });
    });
  }
}
