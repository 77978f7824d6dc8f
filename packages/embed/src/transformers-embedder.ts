import { join } from 'node:path';
import type { PreTrainedModel, Tensor } from '@huggingface/transformers';
import {
  type ComputeDevice,
  type ComputeDeviceReport,
  type Embedder,
  type EmbeddingBatch,
  type EmbedOptions,
  type ModelDtype,
  onnxFileFor,
  physicalCoreCount,
  type RuntimeLogger,
  type TokenCounter,
  throwIfAborted,
  WinnowError,
  warnOnce,
} from '@winnow/core';
import { assertNonEmptyTexts, assertPositiveInteger, lengthSortedBatches, runWithConcurrency } from './batching.js';
import { type EmbeddingCache, embedThroughCache, LruEmbeddingCache } from './cache.js';
import { probeComputeDevices } from './devices.js';
import { type LoadedTextModel, loadTextModel } from './load.js';
import { applyOverrides, type ModelProfile, type Pooling, readModelDefaults } from './model-profile.js';
import { buildBatchInputs, poolHiddenStates } from './pooling.js';
import { SequenceEncoder } from './sequence.js';

export interface TransformersEmbedderOptions {
  /** A hub id (`Xenova/all-MiniLM-L6-v2`), a folder name under WINNOW_MODELS, or a folder path. */
  model: string;
  /** Which ONNX weights to load. Default 'q8' (`onnx/model_quantized.onnx`). */
  dtype?: ModelDtype;
  /** 'auto' (default) tries the GPU back-ends of this platform, then CPU, logging why one was skipped. */
  device?: ComputeDevice;
  /** A folder of model folders; default the WINNOW_MODELS environment variable. */
  modelsDir?: string;
  /** Texts per model call. Default 32. */
  batchSize?: number;
  /** Model calls in flight at once. Default 1 (onnxruntime already uses every core for one call). */
  concurrency?: number;
  /**
   * onnxruntime threads per model call. Default: one per physical core (as the reranker). Fewer threads help when
   * several calls run at once (concurrency) or other processes share the CPU.
   */
  threads?: number;
  /**
   * Embed one short text at load, so the first query does not pay onnxruntime's first-run costs (memory arena
   * growth, kernel selection). Default true.
   */
  warmUp?: boolean;
  /** Override the model's pooling (from 1_Pooling/config.json; mean when absent). */
  pooling?: Pooling;
  /** Override L2 normalisation (from modules.json's Normalize; on when absent). */
  normalize?: boolean;
  /** Override the maximum input length in tokens, special tokens included. */
  maxTokens?: number;
  /** Override the query prefix (from config_sentence_transformers.json prompts, else the model family's). */
  queryPrefix?: string;
  documentPrefix?: string;
  /** Where vectors are kept between calls: default an in-memory LRU; false for none. */
  cache?: EmbeddingCache | false;
  /** Receives device fallback notices. Default console.warn, each message once. */
  logger?: RuntimeLogger;
}

/** Local ONNX embedding through transformers.js, with tokenisation, truncation and pooling done here. */
export class TransformersEmbedder implements Embedder {
  readonly modelId: string;
  readonly dimensions: number;
  readonly maxTokens: number;
  /** The device the model was opened on. */
  readonly device: Exclude<ComputeDevice, 'auto'>;
  readonly cache: EmbeddingCache | undefined;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly model: PreTrainedModel;
  private readonly encoder: SequenceEncoder;
  private readonly padId: number;
  private readonly tokenizerId: string;
  /** The ONNX file opened, for a local folder (a hub model's file lives in transformers.js' cache). */
  private readonly onnxFile: string | undefined;

  private constructor(
    loaded: LoadedTextModel,
    readonly profile: ModelProfile,
    modelId: string,
    options: TransformersEmbedderOptions,
  ) {
    this.modelId = modelId;
    this.dimensions = profile.dimensions;
    this.maxTokens = profile.maxTokens;
    this.device = loaded.device;
    this.model = loaded.model;
    this.encoder = new SequenceEncoder(loaded.tokenizer, profile.maxTokens, loaded.where);
    this.padId = loaded.tokenizer.pad_token_id ?? 0;
    this.tokenizerId = loaded.name;
    this.onnxFile =
      loaded.location.kind === 'local' ? join(loaded.location.dir, onnxFileFor(options.dtype ?? 'q8')) : undefined;
    this.batchSize = options.batchSize ?? 32;
    this.concurrency = options.concurrency ?? 1;
    this.cache = options.cache === false ? undefined : (options.cache ?? new LruEmbeddingCache());
  }

  static async create(options: TransformersEmbedderOptions): Promise<TransformersEmbedder> {
    assertPositiveInteger(options.batchSize ?? 32, 'embed.batchSize');
    assertPositiveInteger(options.concurrency ?? 1, 'embed.concurrency');
    if (options.threads !== undefined) assertPositiveInteger(options.threads, 'embed.threads');
    const dtype = options.dtype ?? 'q8';
    const loaded = await loadTextModel(options.model, {
      dtype,
      device: options.device ?? 'auto',
      modelsDir: options.modelsDir,
      log: options.logger ?? warnOnce,
      settingPrefix: 'embed',
      threads: options.threads ?? physicalCoreCount(),
    });
    const defaults = await readModelDefaults(loaded);
    const profile = applyOverrides(defaults, options, loaded.where);
    const embedder = new TransformersEmbedder(
      loaded,
      profile,
      modelIdOf(loaded.name, dtype, defaults.profile, profile),
      options,
    );
    // Straight to the model: a warm-up vector must not land in the cache.
    if (options.warmUp !== false) await embedder.embedSequences([embedder.encoder.encode('warm-up').ids], undefined);
    return embedder;
  }

  /** Counts tokens with this model's tokenizer, special tokens included (as the chunker needs). */
  tokenCounter(): TokenCounter {
    const encoder = this.encoder;
    return { id: this.tokenizerId, count: (text) => encoder.count(text) };
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<EmbeddingBatch> {
    assertNonEmptyTexts(texts);
    throwIfAborted(options.signal, 'embedding');
    const prefix = options.inputType === 'query' ? this.profile.queryPrefix : this.profile.documentPrefix;
    const inputs = texts.map((text) => prefix + text);
    const encoded = inputs.map((input) => this.encoder.encode(input));
    let tokens = 0;
    const vectors = await embedThroughCache(inputs, this.modelId, this.cache, async (positions) => {
      const sequences = positions.map((position) => encoded[position]?.ids ?? []);
      for (const sequence of sequences) tokens += sequence.length;
      return this.embedSequences(sequences, options.signal);
    });
    const truncated = encoded.flatMap((sequence, index) => (sequence.truncated ? [index] : []));
    return { vectors, truncated, tokens };
  }

  /** Runs id sequences through the model in length-sorted batches; vectors come back in sequence order. */
  private async embedSequences(sequences: number[][], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const batches = lengthSortedBatches(
      sequences.map((sequence) => sequence.length),
      this.batchSize,
    );
    const vectors = new Array<Float32Array>(sequences.length);
    const tasks = batches.map((positions) => async () => {
      const pooled = await this.forward(positions.map((position) => sequences[position] ?? []));
      positions.forEach((position, i) => {
        const vector = pooled[i];
        if (vector !== undefined) vectors[position] = vector;
      });
    });
    await runWithConcurrency(tasks, this.concurrency, signal, 'embedding');
    return vectors;
  }

  private async forward(sequences: number[][]): Promise<Float32Array[]> {
    const batch = buildBatchInputs(sequences, this.padId);
    const output = (await this.model.forward(batch.feeds)) as Record<string, Tensor>;
    const hidden = output.last_hidden_state ?? Object.values(output)[0];
    const dims = hidden?.dims ?? [];
    if (hidden === undefined || dims.length !== 3 || dims[2] !== this.dimensions) {
      throw new WinnowError(
        'E_MODEL_LOAD',
        `the model's output is not token vectors of size ${this.dimensions} (got dims [${dims.join(', ')}])`,
        { setting: 'embed.model', details: { modelId: this.modelId } },
      );
    }
    const data = hidden.type === 'float32' ? hidden.data : hidden.to('float32').data;
    return poolHiddenStates(
      data as Float32Array,
      batch.lengths,
      batch.width,
      this.dimensions,
      this.profile.pooling,
      this.profile.normalize,
    );
  }

  /**
   * Which devices onnxruntime-node can open on this machine, tried on this model's ONNX file (`winnow doctor`);
   * undefined for a hub model.
   */
  async probeDevices(): Promise<ComputeDeviceReport | undefined> {
    return this.onnxFile === undefined ? undefined : probeComputeDevices(this.onnxFile);
  }

  async close(): Promise<void> {
    await this.model.dispose();
  }
}

/** Same options as `TransformersEmbedder.create`. */
export function createTransformersEmbedder(options: TransformersEmbedderOptions): Promise<TransformersEmbedder> {
  return TransformersEmbedder.create(options);
}

/** `name@dtype`, plus every numeric setting that differs from the model's own, since it changes the vectors. */
function modelIdOf(name: string, dtype: ModelDtype, own: ModelProfile, used: ModelProfile): string {
  const changes = [
    used.pooling === own.pooling ? '' : `+${used.pooling}`,
    used.normalize === own.normalize ? '' : used.normalize ? '+norm' : '+nonorm',
    used.maxTokens === own.maxTokens ? '' : `+max${used.maxTokens}`,
  ].join('');
  return `${name}@${dtype}${changes}`;
}
