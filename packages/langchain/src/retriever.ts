import type { CallbackManagerForRetrieverRun } from '@langchain/core/callbacks/manager';
import type { Document } from '@langchain/core/documents';
import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import type { Filter, Principal, Retriever } from '@winnow/core';
import { candidateToDocument, type WinnowDocumentMetadata } from './metadata.js';

export interface WinnowRetrieverInput extends BaseRetrieverInput {
  retriever: Retriever;
  /** Results per query; defaults to the retriever's own rerank.k. */
  k?: number;
  filter?: Filter;
  /**
   * The user this retriever serves: only chunks this principal may see come back. Required where the collection
   * has access control on (E_PRINCIPAL_REQUIRED); make one retriever per user (or per request).
   */
  principal?: Principal;
}

/** A LangChain retriever over winnow's two-stage retrieval; each document's metadata keeps every stage's score. */
export class WinnowRetriever extends BaseRetriever<WinnowDocumentMetadata> {
  lc_namespace = ['winnow', 'retrievers'];
  private readonly retriever: Retriever;
  private readonly k: number | undefined;
  private readonly filter: Filter | undefined;
  private readonly principal: Principal | undefined;

  constructor(input: WinnowRetrieverInput) {
    super(input);
    this.retriever = input.retriever;
    this.k = input.k;
    this.filter = input.filter;
    this.principal = input.principal;
  }

  override async _getRelevantDocuments(
    query: string,
    _runManager?: CallbackManagerForRetrieverRun,
  ): Promise<Document<WinnowDocumentMetadata>[]> {
    const result = await this.retriever.retrieve(query, {
      ...(this.k === undefined ? {} : { k: this.k }),
      ...(this.filter === undefined ? {} : { filter: this.filter }),
      ...(this.principal === undefined ? {} : { principal: this.principal }),
    });
    return result.candidates.map(candidateToDocument);
  }
}
