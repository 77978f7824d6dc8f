import { type PreTrainedModel, Tensor } from '@huggingface/transformers';
import {
  type CallOptions,
  type ComputeDevice,
  type ModelDtype,
  physicalCoreCount,
  type Reranker,
  type RuntimeLogger,
  throwIfAborted,
  WinnowError,
  warnOnce,
} from '@winnow/core';
import { type LoadedClassifier, loadClassifier } from './load.js';
import { type EncodedPair, PairEncoder } from './pair-encoding.js';
import { assertPassages, assertQuery, relevanceFromLogits } from './scoring.js';

export interface CrossEncoderRerankerOptions {
  /** A hub id, a folder name under WINNOW_MODELS, or a folder path. */
  model: string;
  /** Default 'q8' (`onnx/model_quantized.onnx`). */
  dtype?: ModelDtype;
  /** 'auto' (default) tries the GPU back-ends of this platform, then CPU. */
  device?: ComputeDevice;
  modelsDir?: string;
  /**
   * Pairs per model call. Default 1 on CPU (batching measured no faster there, and int8 activations are quantised
   * per call, so one pair per call gives each pair the same score whatever it is scored with), 16 on a GPU.
   */
  batchSize?: number;
  /** Longest pair in tokens, special tokens included. Default: tokenizer_config.json model_max_length. */
  maxTokens?: number;
  /** onnxruntime intra-op threads per model call. Default: one per physical core. */
  threads?: number;
  /**
   * Run one short pair at load, so the first query does not pay onnxruntime's first-run costs (kernel selection,
   * memory arena growth). Default true.
   */
  warmUp?: boolean;
  /** Receives device fallback notices. Default console.warn, each message once. */
  logger?: RuntimeLogger;
}

export interface QueryPassagePair {
  query: string;
  passage: string;
}

/**
 * Scores (query, passage) pairs with a sequence-classification model: sigmoid of the logit for one-label models,
 * softmax probability of the positive (last) class for two-label ones.
 */
export class CrossEncoderReranker implements Reranker {
  readonly modelId: string;
  readonly maxTokens: number;
  readonly numLabels: number;
  readonly device: Exclude<ComputeDevice, 'auto'>;
  private readonly model: PreTrainedModel;
  private readonly encoder: PairEncoder;
  private readonly padId: number;
  /** Pairs per model call. */
  readonly batchSize: number;

  private constructor(
    loaded: LoadedClassifier,
    modelId: string,
    maxTokens: number,
    numLabels: number,
    batchSize: number,
  ) {
    this.modelId = modelId;
    this.maxTokens = maxTokens;
    this.numLabels = numLabels;
    this.device = loaded.device;
    this.model = loaded.model;
    this.encoder = new PairEncoder(loaded.tokenizer, maxTokens, loaded.where);
    this.padId = loaded.tokenizer.pad_token_id ?? 0;
    this.batchSize = batchSize;
  }

  static async create(options: CrossEncoderRerankerOptions): Promise<CrossEncoderReranker> {
    for (const [field, value] of [
      ['rerank.batchSize', options.batchSize ?? 1],
      ['rerank.threads', options.threads ?? 1],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new WinnowError('E_CONFIG_INVALID', `must be a positive integer, got ${value}`, { field });
      }
    }
    const dtype = options.dtype ?? 'q8';
    const loaded = await loadClassifier(options.model, {
      dtype,
      device: options.device ?? 'auto',
      modelsDir: options.modelsDir,
      log: options.logger ?? warnOnce,
      threads: options.threads ?? physicalCoreCount(),
    });
    const batchSize = options.batchSize ?? (loaded.device === 'cpu' ? 1 : 16);
    const numLabels = labelCount(loaded);
    const ownMax = declaredMaxTokens(loaded);
    const maxTokens = options.maxTokens ?? ownMax;
    const positions = loaded.config.max_position_embeddings;
    if (!Number.isInteger(maxTokens) || (typeof positions === 'number' && maxTokens > positions)) {
      throw new WinnowError('E_CONFIG_INVALID', `maxTokens ${maxTokens} exceeds the model's ${positions} positions`, {
        field: 'rerank.maxTokens',
        file: loaded.where,
      });
    }
    const modelId = `${loaded.name}@${dtype}${maxTokens === ownMax ? '' : `+max${maxTokens}`}`;
    const reranker = new CrossEncoderReranker(loaded, modelId, maxTokens, numLabels, batchSize);
    if (options.warmUp !== false) await reranker.logitsFor([{ query: 'warm-up', passage: 'warm-up' }], {});
    return reranker;
  }

  async score(query: string, passages: readonly string[], options: CallOptions = {}): Promise<number[]> {
    assertQuery(query);
    assertPassages(passages);
    const logits = await this.logitsFor(
      passages.map((passage) => ({ query, passage })),
      options,
    );
    return logits.map(relevanceFromLogits);
  }

  /** Relevance of pairs with different queries, batched together. */
  async scorePairs(pairs: readonly QueryPassagePair[], options: CallOptions = {}): Promise<number[]> {
    return (await this.scoreLogits(pairs, options)).map(relevanceFromLogits);
  }

  /** The model's raw logits per pair (one row of numLabels values each), for parity checks and custom scoring. */
  async scoreLogits(pairs: readonly QueryPassagePair[], options: CallOptions = {}): Promise<number[][]> {
    pairs.forEach((pair, index) => {
      assertQuery(pair.query, `pairs[${index}].query`);
      assertPassages([pair.passage], `pairs[${index}].passage`);
    });
    return this.logitsFor(pairs, options);
  }

  private async logitsFor(pairs: readonly QueryPassagePair[], options: CallOptions): Promise<number[][]> {
    throwIfAborted(options.signal, 'reranking');
    const queryIds = new Map<string, number[]>();
    const encoded = pairs.map((pair) => {
      let ids = queryIds.get(pair.query);
      if (ids === undefined) {
        ids = this.encoder.encodeQuery(pair.query);
        queryIds.set(pair.query, ids);
      }
      return this.encoder.encode(ids, pair.passage);
    });
    // Similar lengths share a batch so padding wastes little; results go back to input order.
    const order = encoded.map((_, index) => index).sort((a, b) => lengthAt(encoded, b) - lengthAt(encoded, a) || a - b);
    const logits = new Array<number[]>(pairs.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      throwIfAborted(options.signal, 'reranking');
      const positions = order.slice(start, start + this.batchSize);
      const rows = await this.forward(positions.map((position) => encoded[position] as EncodedPair));
      positions.forEach((position, i) => {
        logits[position] = rows[i] ?? [];
      });
    }
    throwIfAborted(options.signal, 'reranking');
    return logits;
  }

  private async forward(batch: readonly EncodedPair[]): Promise<number[][]> {
    const width = Math.max(...batch.map((pair) => pair.ids.length));
    const size = batch.length * width;
    const ids = new BigInt64Array(size).fill(BigInt(this.padId));
    const mask = new BigInt64Array(size);
    const types = new BigInt64Array(size);
    batch.forEach((pair, row) => {
      pair.ids.forEach((id, column) => {
        const at = row * width + column;
        ids[at] = BigInt(id);
        mask[at] = 1n;
        types[at] = BigInt(pair.typeIds[column] ?? 0);
      });
    });
    const dims = [batch.length, width];
    const output = (await this.model.forward({
      input_ids: new Tensor('int64', ids, dims),
      attention_mask: new Tensor('int64', mask, dims),
      token_type_ids: new Tensor('int64', types, dims),
    })) as Record<string, Tensor>;
    const logits = output.logits;
    if (logits === undefined || logits.dims[1] !== this.numLabels) {
      throw new WinnowError('E_MODEL_LOAD', `the model gave no logits of ${this.numLabels} labels`, {
        setting: 'rerank.model',
      });
    }
    const data =
      logits.type === 'float32' ? (logits.data as Float32Array) : (logits.to('float32').data as Float32Array);
    return batch.map((_, row) => Array.from(data.subarray(row * this.numLabels, (row + 1) * this.numLabels)));
  }

  async close(): Promise<void> {
    await this.model.dispose();
  }
}

/** Same options as `CrossEncoderReranker.create`. */
export function createCrossEncoderReranker(options: CrossEncoderRerankerOptions): Promise<CrossEncoderReranker> {
  return CrossEncoderReranker.create(options);
}

function lengthAt(encoded: readonly EncodedPair[], index: number): number {
  return encoded[index]?.ids.length ?? 0;
}

function labelCount(loaded: LoadedClassifier): number {
  const id2label = loaded.config.id2label;
  const count =
    typeof loaded.config.num_labels === 'number'
      ? loaded.config.num_labels
      : typeof id2label === 'object' && id2label !== null
        ? Object.keys(id2label).length
        : 1;
  if (count !== 1 && count !== 2) {
    throw new WinnowError('E_MODEL_LOAD', `a reranker needs 1 or 2 labels, this model has ${count}`, {
      file: `${loaded.where}/config.json`,
      setting: 'rerank.model',
    });
  }
  return count;
}

function declaredMaxTokens(loaded: LoadedClassifier): number {
  const fromTokenizer = loaded.tokenizerConfig.model_max_length;
  const positions = loaded.config.max_position_embeddings;
  const limit = typeof positions === 'number' ? positions : 512;
  return typeof fromTokenizer === 'number' && fromTokenizer > 0 && fromTokenizer < limit ? fromTokenizer : limit;
}
