import {
  type CallOptions,
  postJsonWithRetry,
  type Reranker,
  type RetryInfo,
  throwIfAborted,
  WinnowError,
} from '@winnow/core';
import { assertPassages, assertQuery } from './scoring.js';

/**
 * The two JSON dialects of `/rerank` servers. 'cohere' (Cohere, vLLM, Jina):
 * `{model, query, documents, top_n}` → `{results: [{index, relevance_score}]}`.
 * 'tei' (Hugging Face text-embeddings-inference): `{query, texts, truncate}` → `[{index, score}]`.
 */
export type RerankFlavor = 'cohere' | 'tei';

export interface HttpRerankerOptions {
  /** Server root, e.g. `http://localhost:8000/v1` (vLLM) or `http://localhost:8080` (TEI). */
  baseURL: string;
  flavor?: RerankFlavor;
  /** Appended to baseURL. Default `/rerank`. */
  path?: string;
  /** Sent as `model` (cohere flavor); TEI serves one model and ignores it. */
  model?: string;
  /** Sent as a Bearer token. */
  apiKey?: string;
  /** Passages per request: the server's per-call limit (TEI's max_client_batch_size, 32 by default). Default 32. */
  maxBatchSize?: number;
  /** Retries after 429, 5xx, network failures and timeouts. Default 3. */
  maxRetries?: number;
  /** Limit of one request. Default 60 s. */
  timeoutMs?: number;
  /** First backoff ceiling; doubles each retry (Retry-After wins when sent). Default 500 ms. */
  retryBaseDelayMs?: number;
  /** TEI only: let the server cut over-long pairs instead of refusing them. Default true. */
  truncate?: boolean;
  /** Called before each retry with its wait, e.g. to log. */
  onRetry?: (info: RetryInfo) => void;
  fetch?: typeof fetch;
}

interface CohereAnswer {
  results?: Array<{ index?: unknown; relevance_score?: unknown }>;
}
type TeiAnswer = Array<{ index?: unknown; score?: unknown }>;

export class HttpReranker implements Reranker {
  readonly modelId: string;
  readonly url: string;
  private readonly flavor: RerankFlavor;

  constructor(private readonly options: HttpRerankerOptions) {
    if (!options.baseURL) {
      throw new WinnowError('E_CONFIG_INVALID', 'an endpoint URL is required', { field: 'rerank.baseURL' });
    }
    const batch = options.maxBatchSize ?? 32;
    if (!Number.isInteger(batch) || batch < 1) {
      throw new WinnowError('E_CONFIG_INVALID', `must be a positive integer, got ${batch}`, {
        field: 'rerank.maxBatchSize',
      });
    }
    this.flavor = options.flavor ?? 'cohere';
    this.url = `${options.baseURL.replace(/\/+$/, '')}${options.path ?? '/rerank'}`;
    this.modelId = `${options.model ?? this.flavor}@remote`;
  }

  async score(query: string, passages: readonly string[], options: CallOptions = {}): Promise<number[]> {
    assertQuery(query);
    assertPassages(passages);
    const batchSize = this.options.maxBatchSize ?? 32;
    const scores: number[] = [];
    for (let start = 0; start < passages.length; start += batchSize) {
      throwIfAborted(options.signal, 'reranking');
      const batch = passages.slice(start, start + batchSize);
      scores.push(...(await this.scoreBatch(query, batch, options.signal)));
    }
    return scores;
  }

  private async scoreBatch(query: string, passages: readonly string[], signal: AbortSignal | undefined) {
    const body =
      this.flavor === 'tei'
        ? { query, texts: passages, truncate: this.options.truncate ?? true, raw_scores: false }
        : {
            ...(this.options.model === undefined ? {} : { model: this.options.model }),
            query,
            documents: passages,
            top_n: passages.length,
          };
    const { body: answer } = await postJsonWithRetry<CohereAnswer | TeiAnswer>(this.url, body, {
      setting: 'rerank.baseURL',
      signal,
      maxRetries: this.options.maxRetries ?? 3,
      baseDelayMs: this.options.retryBaseDelayMs ?? 500,
      timeoutMs: this.options.timeoutMs ?? 60_000,
      ...(this.options.apiKey === undefined ? {} : { headers: { authorization: `Bearer ${this.options.apiKey}` } }),
      ...(this.options.fetch === undefined ? {} : { fetch: this.options.fetch }),
      ...(this.options.onRetry === undefined ? {} : { onRetry: this.options.onRetry }),
    });
    const rows = this.flavor === 'tei' ? (answer as TeiAnswer) : (answer as CohereAnswer).results;
    const scoreKey = this.flavor === 'tei' ? 'score' : 'relevance_score';
    if (!Array.isArray(rows)) {
      throw new WinnowError('E_HTTP', `the answer is not a ${this.flavor} rerank result`, {
        file: this.url,
        hint: `check the flavor setting ('cohere' or 'tei')`,
      });
    }
    const scores = new Array<number | undefined>(passages.length).fill(undefined);
    for (const row of rows as Array<Record<string, unknown>>) {
      const index = row.index;
      const value = row[scoreKey];
      if (
        typeof index === 'number' &&
        Number.isInteger(index) &&
        index >= 0 &&
        index < passages.length &&
        typeof value === 'number'
      ) {
        scores[index] = value;
      }
    }
    const missing = scores.indexOf(undefined);
    if (missing >= 0) {
      throw new WinnowError('E_HTTP', `the answer has no ${scoreKey} for documents[${missing}]`, { file: this.url });
    }
    return scores as number[];
  }
}
