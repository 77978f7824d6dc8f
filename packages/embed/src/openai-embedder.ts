import {
  type Embedder,
  type EmbeddingBatch,
  type EmbedOptions,
  type RetryInfo,
  throwIfAborted,
  WinnowError,
  withRetries,
} from '@winnow/core';
import OpenAI from 'openai';
import { assertNonEmptyTexts, assertPositiveInteger, runWithConcurrency } from './batching.js';
import { type EmbeddingCache, embedThroughCache, LruEmbeddingCache } from './cache.js';
import { classifyOpenAIError, toWinnowHttpError } from './openai-errors.js';
import { l2NormalizeInPlace } from './vector-math.js';

export interface OpenAICompatibleEmbedderOptions {
  /** The server's OpenAI-compatible root, e.g. `http://localhost:8000/v1` (vLLM, HF TEI) or OpenAI's. */
  baseURL: string;
  /** Sent as a Bearer token; local servers often need none. */
  apiKey?: string;
  model: string;
  /** Size of the vectors the model returns; checked on every answer. */
  dimensions: number;
  /** Also send `dimensions` in the request (models that can shorten their vectors, e.g. text-embedding-3). */
  requestDimensions?: boolean;
  /** Longest input the server accepts, in its tokens. Default 512. */
  maxTokens?: number;
  /** Inputs per request: the server's per-call limit (TEI's max_client_batch_size is 32 by default). Default 32. */
  maxBatchSize?: number;
  /** Requests in flight at once. Default 1. */
  concurrency?: number;
  /** Retries after 429, 5xx, network failures and timeouts. Default 3. */
  maxRetries?: number;
  /** Limit of one request. Default 60 s. */
  timeoutMs?: number;
  /** First backoff ceiling; doubles each retry (Retry-After wins when sent). Default 500 ms. */
  retryBaseDelayMs?: number;
  /** L2-normalise the vectors here. Default false (OpenAI's are unit length already). */
  normalize?: boolean;
  queryPrefix?: string;
  documentPrefix?: string;
  /** 'float' (default, widest support) or 'base64' (smaller answers, where the server supports it). */
  encodingFormat?: 'float' | 'base64';
  cache?: EmbeddingCache | false;
  /** Called before each retry with its wait, e.g. to log. */
  onRetry?: (info: RetryInfo) => void;
  /** For tests or proxies. */
  fetch?: typeof fetch;
}

/** Embeds through any `/v1/embeddings` endpoint with the official OpenAI client; retries are winnow's own. */
export class OpenAICompatibleEmbedder implements Embedder {
  readonly modelId: string;
  readonly dimensions: number;
  readonly maxTokens: number;
  readonly cache: EmbeddingCache | undefined;
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAICompatibleEmbedderOptions) {
    if (!options.baseURL)
      throw new WinnowError('E_CONFIG_INVALID', 'an endpoint URL is required', { field: 'embed.baseURL' });
    assertPositiveInteger(options.dimensions, 'embed.dimensions');
    assertPositiveInteger(options.maxBatchSize ?? 32, 'embed.maxBatchSize');
    assertPositiveInteger(options.concurrency ?? 1, 'embed.concurrency');
    this.dimensions = options.dimensions;
    this.maxTokens = options.maxTokens ?? 512;
    this.modelId = `${options.model}@remote${options.requestDimensions ? `+dim${options.dimensions}` : ''}`;
    this.cache = options.cache === false ? undefined : (options.cache ?? new LruEmbeddingCache());
    this.client = new OpenAI({
      baseURL: options.baseURL,
      // The client insists on a key; local servers ignore it.
      apiKey: options.apiKey ?? 'unused',
      maxRetries: 0,
      timeout: options.timeoutMs ?? 60_000,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<EmbeddingBatch> {
    assertNonEmptyTexts(texts);
    throwIfAborted(options.signal, 'embedding');
    const prefix = options.inputType === 'query' ? this.options.queryPrefix : this.options.documentPrefix;
    const inputs = texts.map((text) => (prefix ?? '') + text);
    let tokens = 0;
    const vectors = await embedThroughCache(inputs, this.modelId, this.cache, async (positions) => {
      const batchSize = this.options.maxBatchSize ?? 32;
      const batches: string[][] = [];
      for (let start = 0; start < positions.length; start += batchSize) {
        batches.push(positions.slice(start, start + batchSize).map((position) => inputs[position] ?? ''));
      }
      const results = await runWithConcurrency(
        batches.map((batch) => async () => {
          const answer = await this.request(batch, options.signal);
          tokens += answer.tokens;
          return answer.vectors;
        }),
        this.options.concurrency ?? 1,
        options.signal,
        'embedding',
      );
      return results.flat();
    });
    // A remote server truncates (or rejects) on its own side and does not say which inputs it cut.
    return { vectors, truncated: [], tokens };
  }

  private async request(
    batch: string[],
    signal: AbortSignal | undefined,
  ): Promise<{ vectors: Float32Array[]; tokens: number }> {
    const subject = { file: `${this.options.baseURL.replace(/\/$/, '')}/embeddings`, setting: 'embed.baseURL' };
    const response = await withRetries(
      () =>
        this.client.embeddings.create(
          {
            model: this.options.model,
            input: batch,
            encoding_format: this.options.encodingFormat ?? 'float',
            ...(this.options.requestDimensions ? { dimensions: this.options.dimensions } : {}),
          },
          signal === undefined ? {} : { signal },
        ),
      classifyOpenAIError,
      {
        maxRetries: this.options.maxRetries ?? 3,
        baseDelayMs: this.options.retryBaseDelayMs ?? 500,
        signal,
        ...(this.options.onRetry === undefined ? {} : { onRetry: this.options.onRetry }),
      },
    ).catch((error: unknown) => {
      throw toWinnowHttpError(error, subject, this.options.timeoutMs ?? 60_000);
    });
    return { vectors: this.toVectors(response, batch.length, subject), tokens: response.usage?.total_tokens ?? 0 };
  }

  private toVectors(
    response: OpenAI.CreateEmbeddingResponse,
    expected: number,
    subject: { file: string; setting: string },
  ): Float32Array[] {
    const data = Array.isArray(response.data) ? [...response.data] : [];
    if (data.length !== expected) {
      throw new WinnowError('E_HTTP', `the answer has ${data.length} embeddings for ${expected} inputs`, subject);
    }
    data.sort((a, b) => a.index - b.index);
    return data.map((item) => {
      const raw: unknown = item.embedding;
      const vector = typeof raw === 'string' ? decodeBase64Floats(raw) : Float32Array.from(raw as ArrayLike<number>);
      if (vector.length !== this.dimensions) {
        throw new WinnowError(
          'E_DIMENSION_MISMATCH',
          `the model returned ${vector.length}-dimensional vectors, but dimensions is ${this.dimensions}`,
          { ...subject, field: 'embed.dimensions' },
        );
      }
      return this.options.normalize ? l2NormalizeInPlace(vector) : vector;
    });
  }
}

/** base64 of little-endian float32s, as OpenAI-compatible servers send with encoding_format 'base64'. */
function decodeBase64Floats(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i += 1) out[i] = bytes.readFloatLE(i * 4);
  return out;
}
