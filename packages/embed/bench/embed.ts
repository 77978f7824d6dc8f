/**
 * Embedding throughput of TransformersEmbedder at chunk-sized inputs (~128 and ~256 tokens) over batch sizes,
 * against a bare onnxruntime-node InferenceSession fed the same token ids in the same run. The ratio of the two
 * times is the framework's overhead (tokenising, tensors, transformers.js' call path, pooling); goal <= 1.10.
 *
 *   pnpm bench:embed                                        # MiniLM, batches 1/16, 32 texts, best of 3
 *   EMBED_BENCH_FULL=1 pnpm bench:embed                     # both embedders, batches 1..64, 256 texts, best of 5
 *
 * Env: EMBED_BENCH_MODELS (comma list), EMBED_BENCH_BATCHES (comma list), EMBED_BENCH_TEXTS, EMBED_BENCH_REPEATS,
 * EMBED_BENCH_THREADS (onnxruntime threads per call on both sides, default 1; 0 = onnxruntime's default),
 * WINNOW_MODELS (default shared/models beside the checkout).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { type ModelDtype, onnxFileFor, resolveModel } from '@winnow/core';
import * as ort from 'onnxruntime-node';
import { TransformersEmbedder } from '../src/index.js';
import { SequenceEncoder } from '../src/sequence.js';
import { bestOf, pad, readScifact } from './corpus.js';

const full = process.env.EMBED_BENCH_FULL === '1';
const list = (value: string | undefined, fallback: string) => (value ?? fallback).split(',').map((s) => s.trim());
const models = list(process.env.EMBED_BENCH_MODELS, full ? 'all-MiniLM-L6-v2,bge-small-en-v1.5' : 'all-MiniLM-L6-v2');
const batchSizes = list(process.env.EMBED_BENCH_BATCHES, full ? '1,2,4,8,16,32,64' : '1,16').map(Number);
const textCount = Number(process.env.EMBED_BENCH_TEXTS ?? (full ? 256 : 32));
const repeats = Number(process.env.EMBED_BENCH_REPEATS ?? (full ? 5 : 3));
const threadSetting = Number(process.env.EMBED_BENCH_THREADS ?? 1);
const threads = threadSetting > 0 ? threadSetting : undefined;
const lengths = [128, 256];

/** Texts of exactly `tokens` tokens with this model's tokenizer (special tokens included), cut from abstracts. */
async function inputsOf(dir: string, abstracts: string[], tokens: number): Promise<string[]> {
  const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  const out: string[] = [];
  for (const abstract of abstracts) {
    const ids = tokenizer.encode(abstract, { add_special_tokens: false });
    if (ids.length < tokens) continue;
    const text = tokenizer.decode(ids.slice(0, tokens - 2));
    if (tokenizer.encode(text).length === tokens) out.push(text);
    if (out.length >= textCount) break;
  }
  return out;
}

/** Feeds for the bare session: the embedder's own token ids, batched in input order. */
function bareFeeds(encoder: SequenceEncoder, texts: string[], batchSize: number, padId: number) {
  const sequences = texts.map((text) => encoder.encode(text).ids);
  const feeds: Record<string, ort.Tensor>[] = [];
  for (let start = 0; start < sequences.length; start += batchSize) {
    const batch = sequences.slice(start, start + batchSize);
    const width = Math.max(...batch.map((s) => s.length));
    const ids = new BigInt64Array(batch.length * width).fill(BigInt(padId));
    const mask = new BigInt64Array(batch.length * width);
    for (const [row, sequence] of batch.entries()) {
      for (const [column, id] of sequence.entries()) {
        ids[row * width + column] = BigInt(id);
        mask[row * width + column] = 1n;
      }
    }
    const dims = [batch.length, width];
    feeds.push({
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(batch.length * width), dims),
    });
  }
  return feeds;
}

/**
 * Times the embedder and a bare session on the same ids, alternating run by run so both see the same share of a
 * busy machine. With more than one onnxruntime thread per call, the idle pool of one spins while the other runs,
 * so the default is one thread (EMBED_BENCH_THREADS=0 leaves onnxruntime's default).
 */
async function measure(
  model: string,
  dir: string,
  dtype: ModelDtype,
  texts: string[],
  batchSize: number,
  tokens: number,
) {
  const embedder = await TransformersEmbedder.create({
    model,
    dtype,
    device: 'cpu',
    batchSize,
    cache: false,
    ...(threads === undefined ? {} : { threads }),
  });
  if (texts.length === 0 || tokens > embedder.maxTokens) {
    await embedder.close();
    return undefined;
  }
  const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  const encoder = new SequenceEncoder(tokenizer, embedder.maxTokens, dir);
  const tokeniseMs = await bestOf(1, async () => texts.map((text) => encoder.encode(text)));
  const feeds = bareFeeds(encoder, texts, batchSize, tokenizer.pad_token_id ?? 0);
  const session = await ort.InferenceSession.create(join(dir, onnxFileFor(dtype)), {
    executionProviders: ['cpu'],
    ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
  });
  await embedder.embed(texts.slice(0, batchSize));
  await session.run(feeds[0] ?? {});
  let frameworkMs = Number.POSITIVE_INFINITY;
  let bareMs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < repeats; r += 1) {
    frameworkMs = Math.min(frameworkMs, await bestOf(1, () => embedder.embed(texts)));
    bareMs = Math.min(
      bareMs,
      await bestOf(1, async () => {
        for (const feed of feeds) await session.run(feed);
      }),
    );
  }
  await embedder.close();
  await session.release();
  return { frameworkMs, bareMs, tokeniseMs };
}

async function main(): Promise<void> {
  const abstracts = await readScifact(3000);
  console.log(
    `embed bench: ${textCount} texts per run, best of ${repeats}, CPU, onnxruntime threads ${threads ?? 'default'}, ${full ? 'full' : 'default run (EMBED_BENCH_FULL=1 for all)'}`,
  );
  console.log(
    `${'model'.padEnd(20)} dtype tokens batch  texts/s  bare texts/s  overhead  tokenise ms/text  (overhead goal <= 1.10)`,
  );
  const ratios: number[] = [];
  for (const model of models) {
    const location = resolveModel(model);
    if (location.kind !== 'local') throw new Error(`${model}: no local folder (set WINNOW_MODELS)`);
    const dtypes: ModelDtype[] = ['fp32', 'q8'].filter((dtype) => {
      const present = existsSync(join(location.dir, onnxFileFor(dtype as ModelDtype)));
      if (!present)
        console.log(`${model}: ${dtype} weights (${onnxFileFor(dtype as ModelDtype)}) not shipped; skipped`);
      return present;
    }) as ModelDtype[];
    for (const dtype of dtypes) {
      for (const tokens of lengths) {
        const texts = await inputsOf(location.dir, abstracts, tokens);
        for (const batchSize of batchSizes) {
          const result = await measure(model, location.dir, dtype, texts, batchSize, tokens);
          if (result === undefined) continue;
          const ratio = result.frameworkMs / result.bareMs;
          ratios.push(ratio);
          const perSecond = (ms: number) => (texts.length / (ms / 1000)).toFixed(1);
          console.log(
            `${model.padEnd(20)} ${dtype.padEnd(5)} ${pad(tokens, 6)} ${pad(batchSize, 5)} ${pad(perSecond(result.frameworkMs), 8)} ${pad(perSecond(result.bareMs), 13)} ${pad(ratio.toFixed(3), 9)} ${pad((result.tokeniseMs / texts.length).toFixed(2), 17)}`,
          );
        }
      }
    }
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  console.log(
    `overhead ratio: median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(3)}, max ${sorted.at(-1)?.toFixed(3)} over ${ratios.length} runs`,
  );
}

await main();
