/**
 * Bare onnxruntime-node embedding of given texts, as a baseline for benchmarks outside this package (e.g.
 * `bench:index`): the embedder's own tokenizer, prefix and truncation, length-sorted batches, tensors built here
 * and `session.run`, nothing else (no pooling, no cache). Tokenising is counted, as the pipeline has to do it too.
 */
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { type ModelDtype, onnxFileFor, physicalCoreCount } from '@winnow/core';
import * as ort from 'onnxruntime-node';
import { lengthSortedBatches } from '../src/batching.js';
import { SequenceEncoder } from '../src/sequence.js';

export interface BareEmbedOptions {
  /** The model folder (e.g. shared/models/all-MiniLM-L6-v2). */
  dir: string;
  /** The embedder's maximum input length and document prefix (from its profile). */
  maxTokens: number;
  documentPrefix: string;
  dtype?: ModelDtype;
  batchSize?: number;
  /** onnxruntime intra-op threads; default one per physical core, as the embedder. */
  threads?: number;
}

export interface BareEmbedResult {
  wallMs: number;
  /** CPU time of this process (onnxruntime's threads included). */
  cpuMs: number;
  tokens: number;
}

export async function bareEmbed(texts: readonly string[], options: BareEmbedOptions): Promise<BareEmbedResult> {
  const batchSize = options.batchSize ?? 32;
  const tokenizer = await AutoTokenizer.from_pretrained(options.dir, { local_files_only: true });
  const encoder = new SequenceEncoder(tokenizer, options.maxTokens, options.dir);
  const session = await ort.InferenceSession.create(join(options.dir, onnxFileFor(options.dtype ?? 'q8')), {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.threads ?? physicalCoreCount(),
  });
  const padId = BigInt(tokenizer.pad_token_id ?? 0);
  const wants = new Set(session.inputNames);
  let tokens = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const sequences = texts.map((text) => encoder.encode(options.documentPrefix + text).ids);
  for (const positions of lengthSortedBatches(
    sequences.map((s) => s.length),
    batchSize,
  )) {
    const batch = positions.map((p) => sequences[p] ?? []);
    const width = Math.max(...batch.map((s) => s.length));
    const ids = new BigInt64Array(batch.length * width).fill(padId);
    const mask = new BigInt64Array(batch.length * width);
    batch.forEach((sequence, row) => {
      tokens += sequence.length;
      sequence.forEach((id, column) => {
        ids[row * width + column] = BigInt(id);
        mask[row * width + column] = 1n;
      });
    });
    const dims = [batch.length, width];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
    };
    if (wants.has('token_type_ids')) {
      feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch.length * width), dims);
    }
    await session.run(feeds);
  }
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  await session.release();
  return { wallMs, cpuMs: (used.user + used.system) / 1000, tokens };
}
