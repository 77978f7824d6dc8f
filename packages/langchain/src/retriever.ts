import type { CallbackManagerForRetrieverRun } from '@langchain/core/callbacks/manager';
import type { Document } from '@langchain/core/documents';
import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import type { Filter, Retriever } from '@winnow/core';
import { candidateToDocument, type WinnowDocumentMetadata } from './metadata.js';

export interface WinnowRetrieverInput extends BaseRetrieverInput {
  retriever: Retriever;
  /** Results per query; defaults to the retriever's own rerank.k. */
  k?: number;
  filter?: Filter;
}

/** A LangChain retriever over winnow's two-stage retrieval; each document's metadata keeps every stage's score. */
export class WinnowRetriever extends BaseRetriever<WinnowDocumentMetadata> {
  lc_namespace = ['winnow', 'retrievers'];
  private readonly retriever: Retriever;
  private readonly k: number | undefined;
  private readonly filter: Filter | undefined;

  constructor(input: WinnowRetrieverInput) {
    super(input);
    this.retriever = input.retriever;
    this.k = input.k;
    this.filter = input.filter;
  }

  override async _getRelevantDocuments(
    query: string,
    _runManager?: CallbackManagerForRetrieverRun,
  ): Promise<Document<WinnowDocumentMetadata>[]> {
    const result = await this.retriever.retrieve(query, {
      ...(this.k === undefined ? {} : { k: this.k }),
      ...(this.filter === undefined ? {} : { filter: this.filter }),
    });
    return result.candidates.map(candidateToDocument);
  }
}
