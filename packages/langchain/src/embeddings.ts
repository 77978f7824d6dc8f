import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';
import type { Embedder } from '@winnow/core';

export interface WinnowEmbeddingsInput extends EmbeddingsParams {
  embedder: Embedder;
}

/**
 * LangChain `Embeddings` over a winnow embedder; queries and documents get the model's own prefixes.
 * LangChain retries failed calls 6 times by default; winnow's remote embedders already retry what is transient
 * (429, 5xx, timeouts) and a local model's errors are final, so `maxRetries` defaults to 0 here.
 */
export class WinnowEmbeddings extends Embeddings {
  private readonly embedder: Embedder;

  constructor(input: WinnowEmbeddingsInput) {
    super({ ...input, maxRetries: input.maxRetries ?? 0 });
    this.embedder = input.embedder;
  }

  override async embedDocuments(documents: string[]): Promise<number[][]> {
    if (documents.length === 0) return [];
    const batch = await this.caller.call(() => this.embedder.embed(documents, { inputType: 'document' }));
    return batch.vectors.map((v) => Array.from(v));
  }

  override async embedQuery(document: string): Promise<number[]> {
    const batch = await this.caller.call(() => this.embedder.embed([document], { inputType: 'query' }));
    return Array.from(batch.vectors[0] ?? []);
  }
}
