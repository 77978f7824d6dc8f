/**
 * Embedding throughput of TransformersEmbedder on real SciFact documents (title + abstract, whole, truncated by the
 * model, as the SciFact eval indexes them), against a bare onnxruntime-node InferenceSession in the same process
 * fed the same token ids in the same length-sorted batches. Both sides use the threads the pipeline really uses
 * (the embedder's default, one per physical core, unless EMBED_BENCH_THREADS is set) and run alternately, so both see the same share of a
 * shared machine. The framework side is the whole `embed()` call (tokenising, tensors, transformers.js' call path,
 * pooling); the bare side is `session.run` on tensors built beforehand. Goal: framework/bare throughput >= 0.91.
 * It also prints first-query latency after load with and without the load-time warm-up.
 *
 *   pnpm bench:embed
 *
 * Env: EMBED_BENCH_MODELS (comma list; default all-MiniLM-L6-v2,bge-small-en-v1.5), EMBED_BENCH_DOCS (SciFact
 * documents, spread over the corpus; default 64), EMBED_BENCH_REPEATS (7), EMBED_BENCH_BATCH (32, the default
 * batch size), EMBED_BENCH_THREADS (onnxruntime intra-op threads on both sides; default one per physical core),
 * EMBED_BENCH_DTYPE (q8), WINNOW_MODELS (default shared/models beside the checkout).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { type ModelDtype, onnxFileFor, physicalCoreCount, resolveModel } from '@winnow/core';
import * as ort from 'onnxruntime-node';
import { lengthSortedBatches } from '../src/batching.js';
import { TransformersEmbedder } from '../src/index.js';
import { SequenceEncoder } from '../src/sequence.js';
import { pad, readScifact } from './corpus.js';

const list = (value: string | undefined, fallback: string) => (value ?? fallback).split(',').map((s) => s.trim());
const models = list(process.env.EMBED_BENCH_MODELS, 'all-MiniLM-L6-v2,bge-small-en-v1.5');
const docCount = Number(process.env.EMBED_BENCH_DOCS ?? 64);
const repeats = Number(process.env.EMBED_BENCH_REPEATS ?? 7);
const batchSize = Number(process.env.EMBED_BENCH_BATCH ?? 32);
const dtype = (process.env.EMBED_BENCH_DTYPE ?? 'q8') as ModelDtype;
const threadSetting = Number(process.env.EMBED_BENCH_THREADS ?? 0);
// What the pipeline uses: the embedder's default, one onnxruntime thread per physical core.
const threads = threadSetting > 0 ? threadSetting : physicalCoreCount();

/** `count` documents spread evenly over the corpus, so their lengths are the corpus' mix. */
async function spreadDocuments(count: number): Promise<string[]> {
  const all = await readScifact(Number.POSITIVE_INFINITY);
  const step = all.length / count;
  return Array.from({ length: Math.min(count, all.length) }, (_, i) => all[Math.floor(i * step)] ?? '');
}

/** The bare side's feeds: the same ids the embedder runs, in its length-sorted batches, padded to each batch's width. */
function bareFeeds(sequences: number[][], padId: number): Record<string, ort.Tensor>[] {
  return lengthSortedBatches(
    sequences.map((s) => s.length),
    batchSize,
  ).map((positions) => {
    const batch = positions.map((p) => sequences[p] ?? []);
    const width = Math.max(...batch.map((s) => s.length));
    const ids = new BigInt64Array(batch.length * width).fill(BigInt(padId));
    const mask = new BigInt64Array(batch.length * width);
    batch.forEach((sequence, row) => {
      sequence.forEach((id, column) => {
        ids[row * width + column] = BigInt(id);
        mask[row * width + column] = 1n;
      });
    });
    const dims = [batch.length, width];
    return {
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(batch.length * width), dims),
    };
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const spread = (values: number[]) => `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function timed<T>(run: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const value = await run();
  return [performance.now() - start, value];
}

async function throughput(model: string, dir: string, documents: string[]) {
  const options = {
    model,
    dtype,
    device: 'cpu' as const,
    batchSize,
    cache: false as const,
    threads,
  };
  const embedder = await TransformersEmbedder.create(options);
  // The ids the embedder itself runs: its tokenizer, document prefix, truncation and special tokens.
  const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  const encoder = new SequenceEncoder(tokenizer, embedder.maxTokens, dir);
  const sequences = documents.map((text) => encoder.encode(embedder.profile.documentPrefix + text).ids);
  const tokens = sequences.reduce((sum, s) => sum + s.length, 0);
  const feeds = bareFeeds(sequences, tokenizer.pad_token_id ?? 0);
  const session = await ort.InferenceSession.create(join(dir, onnxFileFor(dtype)), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
  });
  // One untimed pass each, so neither side's first-shape allocations count.
  await embedder.embed(documents);
  for (const feed of feeds) await session.run(feed);
  const framework: number[] = [];
  const bare: number[] = [];
  // CPU time of this process (all onnxruntime threads included) per run: on a machine shared with other work the
  // wall time mostly measures waiting, the CPU time the work done.
  const frameworkCpu: number[] = [];
  const bareCpu: number[] = [];
  const loads: string[] = [load()];
  const measured = async (wall: number[], cpu: number[], run: () => Promise<unknown>) => {
    const before = process.cpuUsage();
    wall.push((await timed(run))[0]);
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1000);
  };
  const runFramework = () => measured(framework, frameworkCpu, () => embedder.embed(documents));
  const runBare = () =>
    measured(bare, bareCpu, async () => {
      for (const feed of feeds) await session.run(feed);
    });
  for (let r = 0; r < repeats; r += 1) {
    if (r % 2 === 0) {
      await runFramework();
      await runBare();
    } else {
      await runBare();
      await runFramework();
    }
  }
  loads.push(load());
  await embedder.close();
  await session.release();
  return { framework, bare, frameworkCpu, bareCpu, tokens, loads };
}

/**
 * First-query latency after load: the first and second query on a fresh embedder, with and without the load-time
 * warm-up; medians over `loads` fresh loads.
 */
async function firstQuery(model: string, warmUp: boolean, loads = 3) {
  const loadMs: number[] = [];
  const firstMs: number[] = [];
  const secondMs: number[] = [];
  for (let i = 0; i < loads; i += 1) {
    const [ms, embedder] = await timed(() =>
      TransformersEmbedder.create({
        model,
        dtype,
        device: 'cpu',
        cache: false,
        warmUp,
        threads,
      }),
    );
    loadMs.push(ms);
    firstMs.push((await timed(() => embedder.embed(['does obesity shorten life?'], { inputType: 'query' })))[0]);
    secondMs.push(
      (await timed(() => embedder.embed(['is vitamin d linked to fractures?'], { inputType: 'query' })))[0],
    );
    await embedder.close();
  }
  return { loadMs: median(loadMs), firstMs: median(firstMs), secondMs: median(secondMs) };
}

async function main(): Promise<void> {
  const documents = await spreadDocuments(docCount);
  console.log(
    'ratio = framework tokens/s / bare tokens/s per repeat (adjacent runs), median (min–max); goal >= 0.91. Wall time; the CPU-time line is the same ratio in process CPU time.',
  );
  console.log(
    `embed bench: ${documents.length} SciFact documents, batch ${batchSize}, ${dtype}, CPU, onnxruntime threads ${threads} per call on both sides, ${repeats} alternating repeats per side`,
  );
  console.log(
    `${'model'.padEnd(20)} ${pad('tokens', 7)} ${pad('tok/s', 7)} ${pad('ms (spread)', 16)} ${pad('bare tok/s', 10)} ${pad('bare ms (spread)', 17)} ${pad('ratio (spread)', 20)}  load avg before / after`,
  );
  const latency: string[] = [];
  for (const model of models) {
    const location = resolveModel(model);
    if (location.kind !== 'local') throw new Error(`${model}: no local folder (set WINNOW_MODELS)`);
    const result = await throughput(model, location.dir, documents);
    const ours = median(result.framework);
    const theirs = median(result.bare);
    const perSecond = (ms: number) => (result.tokens / (ms / 1000)).toFixed(0);
    // Framework throughput over bare throughput, per repeat: the two runs of a repeat are adjacent in time, so they
    // share the machine's load far more than runs of different repeats do.
    const ratios = result.framework.map((ms, i) => (result.bare[i] ?? ms) / ms);
    const cpuRatios = result.frameworkCpu.map((ms, i) => (result.bareCpu[i] ?? ms) / ms);
    const range = (values: number[]) =>
      `${median(values).toFixed(3)} (${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)})`;
    console.log(
      `${model.padEnd(20)} ${pad(result.tokens, 7)} ${pad(perSecond(ours), 7)} ${pad(`${ours.toFixed(0)} (${spread(result.framework)})`, 16)} ${pad(perSecond(theirs), 10)} ${pad(`${theirs.toFixed(0)} (${spread(result.bare)})`, 17)} ${pad(range(ratios), 20)}  ${result.loads.join(' / ')}`,
    );
    console.log(
      `${''.padEnd(20)} process CPU time: framework ${median(result.frameworkCpu).toFixed(0)} ms (${spread(result.frameworkCpu)}), bare ${median(result.bareCpu).toFixed(0)} ms (${spread(result.bareCpu)}), bare/framework ${range(cpuRatios)}`,
    );
    for (const warmUp of [false, true]) {
      const q = await firstQuery(model, warmUp);
      latency.push(
        `${model.padEnd(20)} ${(warmUp ? 'on' : 'off').padEnd(7)} ${pad(q.loadMs.toFixed(0), 8)} ${pad(q.firstMs.toFixed(1), 15)} ${pad(q.secondMs.toFixed(1), 16)}`,
      );
    }
  }
  console.log(`\nfirst query after load, medians of 3 fresh loads (load avg ${load()})`);
  console.log(`${'model'.padEnd(20)} warm-up  load ms  first query ms  second query ms`);
  for (const line of latency) console.log(line);
}

await main();
