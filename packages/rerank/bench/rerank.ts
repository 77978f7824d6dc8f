/**
 * Reranking throughput of CrossEncoderReranker: (query, passage) pairs per second at ~128, ~256 and ~512 tokens per pair
 * over batch sizes, against a bare onnxruntime-node InferenceSession fed the same ids in the same run; the time
 * ratio is the framework's overhead (goal <= 1.05). Queries are SciFact claims, passages SciFact abstracts.
 *
 *   pnpm bench:embed                       # runs this after the embedding bench: batches 1/16, 32 pairs, best of 3
 *   RERANK_BENCH_FULL=1 tsx --conditions=source packages/rerank/bench/rerank.ts   # batches 1..64, 256 pairs
 *
 * Env: RERANK_BENCH_BATCHES, RERANK_BENCH_PAIRS, RERANK_BENCH_REPEATS, RERANK_BENCH_THREADS (onnxruntime threads per call,
 * default 1 so the alternating runs do not spin against each other; 0 = onnxruntime's default),
 * WINNOW_MODELS.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { AutoTokenizer } from '@huggingface/transformers';
import { findSharedModelsDir, type ModelDtype, onnxFileFor, resolveModel } from '@winnow/core';
import * as ort from 'onnxruntime-node';
import { CrossEncoderReranker, type QueryPassagePair } from '../src/index.js';
import { PairEncoder } from '../src/pair-encoding.js';

const full = process.env.RERANK_BENCH_FULL === '1' || process.env.EMBED_BENCH_FULL === '1';
const MODEL = process.env.RERANK_BENCH_MODEL ?? 'ms-marco-MiniLM-L-12-v2';
const batchSizes = (process.env.RERANK_BENCH_BATCHES ?? (full ? '1,2,4,8,16,32,64' : '1,16')).split(',').map(Number);
const pairCount = Number(process.env.RERANK_BENCH_PAIRS ?? (full ? 256 : 32));
const repeats = Number(process.env.RERANK_BENCH_REPEATS ?? (full ? 5 : 3));
const threadSetting = Number(process.env.RERANK_BENCH_THREADS ?? 1);
const threads = threadSetting > 0 ? threadSetting : undefined;

async function readPairs(count: number): Promise<QueryPassagePair[]> {
  const models = process.env.WINNOW_MODELS || findSharedModelsDir(process.cwd());
  const scifact = join(dirname(models ?? '.'), 'datasets', 'scifact');
  if (!existsSync(scifact)) throw new Error(`SciFact not found at ${scifact} (set WINNOW_MODELS to shared/models)`);
  const queries = readFileSync(join(scifact, 'queries.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => String((JSON.parse(line) as { text: string }).text));
  const lines = createInterface({ input: createReadStream(join(scifact, 'corpus.jsonl.gz')).pipe(createGunzip()) });
  const pairs: QueryPassagePair[] = [];
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const record = JSON.parse(line) as { title?: string; text?: string };
    const passage = `${record.title ?? ''} ${record.text ?? ''}`.trim();
    // Long abstracts only, so every pair fills the limit and all runs see the same length.
    if (passage.length < 2000) continue;
    pairs.push({ query: queries[pairs.length % queries.length] ?? 'query', passage });
    if (pairs.length >= count) {
      lines.close();
      break;
    }
  }
  return pairs;
}

function bareFeeds(encoder: PairEncoder, pairs: QueryPassagePair[], batchSize: number, padId: number) {
  const encoded = pairs.map((pair) => encoder.encode(encoder.encodeQuery(pair.query), pair.passage));
  const feeds: Record<string, ort.Tensor>[] = [];
  for (let start = 0; start < encoded.length; start += batchSize) {
    const batch = encoded.slice(start, start + batchSize);
    const width = Math.max(...batch.map((pair) => pair.ids.length));
    const size = batch.length * width;
    const [ids, mask, types] = [
      new BigInt64Array(size).fill(BigInt(padId)),
      new BigInt64Array(size),
      new BigInt64Array(size),
    ];
    for (const [row, pair] of batch.entries()) {
      for (const [column, id] of pair.ids.entries()) {
        ids[row * width + column] = BigInt(id);
        mask[row * width + column] = 1n;
        types[row * width + column] = BigInt(pair.typeIds[column] ?? 0);
      }
    }
    const dims = [batch.length, width];
    feeds.push({
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
      token_type_ids: new ort.Tensor('int64', types, dims),
    });
  }
  return feeds;
}

async function bestOf(count: number, run: () => Promise<unknown>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    await run();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

async function main(): Promise<void> {
  const location = resolveModel(MODEL);
  if (location.kind !== 'local') throw new Error(`${MODEL}: no local folder (set WINNOW_MODELS)`);
  const pairs = await readPairs(pairCount);
  const tokenizer = await AutoTokenizer.from_pretrained(location.dir, { local_files_only: true });
  console.log(
    `rerank bench: ${pairs.length} pairs per run, best of ${repeats}, CPU, onnxruntime threads ${threads ?? 'default'}`,
  );
  console.log(`${'model'.padEnd(22)} dtype tokens batch  pairs/s  bare pairs/s  overhead  (overhead goal <= 1.05)`);
  const ratios: number[] = [];
  for (const dtype of ['fp32', 'q8'] as ModelDtype[]) {
    const file = join(location.dir, onnxFileFor(dtype));
    if (!existsSync(file)) {
      console.log(`${MODEL}: ${dtype} weights (${onnxFileFor(dtype)}) not shipped; skipped`);
      continue;
    }
    for (const tokens of [128, 256, 512]) {
      for (const batchSize of batchSizes) {
        // Framework and bare session alternate run by run, so both see the same share of a busy machine.
        const reranker = await CrossEncoderReranker.create({
          model: MODEL,
          dtype,
          device: 'cpu',
          maxTokens: tokens,
          batchSize,
          ...(threads === undefined ? {} : { threads }),
        });
        const feeds = bareFeeds(
          new PairEncoder(tokenizer, tokens, location.dir),
          pairs,
          batchSize,
          tokenizer.pad_token_id ?? 0,
        );
        const session = await ort.InferenceSession.create(file, {
          executionProviders: ['cpu'],
          ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
        });
        await reranker.scorePairs(pairs.slice(0, batchSize));
        await session.run(feeds[0] ?? {});
        let frameworkMs = Number.POSITIVE_INFINITY;
        let bareMs = Number.POSITIVE_INFINITY;
        for (let r = 0; r < repeats; r += 1) {
          frameworkMs = Math.min(frameworkMs, await bestOf(1, () => reranker.scorePairs(pairs)));
          bareMs = Math.min(
            bareMs,
            await bestOf(1, async () => {
              for (const feed of feeds) await session.run(feed);
            }),
          );
        }
        await reranker.close();
        await session.release();
        const ratio = frameworkMs / bareMs;
        ratios.push(ratio);
        const perSecond = (ms: number) => (pairs.length / (ms / 1000)).toFixed(1);
        console.log(
          `${MODEL.padEnd(22)} ${dtype.padEnd(5)} ${String(tokens).padStart(6)} ${String(batchSize).padStart(5)} ${perSecond(frameworkMs).padStart(8)} ${perSecond(bareMs).padStart(13)} ${ratio.toFixed(3).padStart(9)}`,
        );
      }
    }
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  console.log(
    `overhead ratio: median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(3)}, max ${sorted.at(-1)?.toFixed(3)} over ${ratios.length} runs`,
  );
}

await main();
