import { AsyncLocalStorage } from 'node:async_hooks';
import type { CallbackManagerForRetrieverRun } from '@langchain/core/callbacks/manager';
import type { Document } from '@langchain/core/documents';
import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import type { RunnableConfig } from '@langchain/core/runnables';
import type { Filter, Principal, Retriever } from '@winnow/core';
import { candidateToDocument, type WinnowDocumentMetadata } from './metadata.js';

export interface WinnowRetrieverInput extends BaseRetrieverInput {
  retriever: Retriever;
  /** Results per query; defaults to the retriever's own rerank.k. */
  k?: number;
  filter?: Filter;
  /**
   * The user this retriever serves: only chunks this principal may see come back. Required where the collection
   * has access control on (E_PRINCIPAL_REQUIRED), here or per call as `configurable.principal` (which wins).
   */
  principal?: Principal;
}

/** What one `invoke` call carries to `_getRelevantDocuments`, which LangChain calls with the callbacks alone. */
interface CallContext {
  principal: Principal | undefined;
  signal: AbortSignal | undefined;
}

/**
 * A LangChain retriever over winnow's two-stage retrieval; each document's metadata keeps every stage's score.
 * One instance can serve many users: `invoke(query, { configurable: { principal }, signal })` retrieves as that
 * principal and cancels the search (on the database too) when the signal aborts.
 */
export class WinnowRetriever extends BaseRetriever<WinnowDocumentMetadata> {
  lc_namespace = ['winnow', 'retrievers'];
  private readonly retriever: Retriever;
  private readonly k: number | undefined;
  private readonly filter: Filter | undefined;
  private readonly principal: Principal | undefined;
  // BaseRetriever.invoke hands _getRelevantDocuments neither the config nor its signal (@langchain/core 1.4), so the
  // call's own values travel beside it: concurrent calls each see theirs.
  private readonly call = new AsyncLocalStorage<CallContext>();

  constructor(input: WinnowRetrieverInput) {
    super(input);
    this.retriever = input.retriever;
    this.k = input.k;
    this.filter = input.filter;
    this.principal = input.principal;
  }

  override invoke(input: string, options?: RunnableConfig): Promise<Document<WinnowDocumentMetadata>[]> {
    const principal = (options?.configurable as { principal?: Principal } | undefined)?.principal ?? this.principal;
    return this.call.run({ principal, signal: options?.signal }, () => super.invoke(input, options));
  }

  override async _getRelevantDocuments(
    query: string,
    _runManager?: CallbackManagerForRetrieverRun,
  ): Promise<Document<WinnowDocumentMetadata>[]> {
    const { principal, signal } = this.call.getStore() ?? { principal: this.principal, signal: undefined };
    const result = await this.retriever.retrieve(query, {
      ...(this.k === undefined ? {} : { k: this.k }),
      ...(this.filter === undefined ? {} : { filter: this.filter }),
      ...(principal === undefined ? {} : { principal }),
      ...(signal === undefined ? {} : { signal }),
    });
    return result.candidates.map(candidateToDocument);
  }
}
