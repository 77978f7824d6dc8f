/**
 * GPU check: opens the embedder and the reranker on every GPU back-end onnxruntime-node has on this platform (cuda,
 * webgpu, …) and on the CPU, runs the same SciFact passages (embedder) and (query, passage) pairs (reranker) on each,
 * and prints texts/s and pairs/s per device and the largest difference from the CPU results. A device that does not
 * open is listed with the reason; with no GPU the CPU figures are printed and it exits 0.
 *
 *   pnpm gpu:check
 *
 * Env: GPU_CHECK_MODEL (embedder, default all-MiniLM-L6-v2), GPU_CHECK_RERANK_MODEL (ms-marco-MiniLM-L-12-v2),
 * GPU_CHECK_DTYPE (q8, both models), GPU_CHECK_PASSAGES (texts per GPU run, 10000), GPU_CHECK_PAIRS (pairs per GPU
 * run, 2000), GPU_CHECK_CPU_ITEMS (texts and pairs on the CPU, which is slow: 256), GPU_CHECK_BATCH (64),
 * GPU_CHECK_DEVICES (comma list instead of this platform's GPU back-ends; `cpu` dry-runs the comparison),
 * WINNOW_MODELS.
 */
import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  autoDeviceSkipReason,
  type ComputeDevice,
  deviceCandidates,
  findSharedModelsDir,
  isWinnowError,
  type ModelDtype,
} from '@winnow/core';
import { CrossEncoderReranker, type QueryPassagePair } from '@winnow/rerank';
import { maxAbsDifference, TransformersEmbedder } from '../src/index.js';
import { readScifact } from './corpus.js';

const embedModel = process.env.GPU_CHECK_MODEL ?? 'all-MiniLM-L6-v2';
const rerankModel = process.env.GPU_CHECK_RERANK_MODEL ?? 'ms-marco-MiniLM-L-12-v2';
const dtype = (process.env.GPU_CHECK_DTYPE ?? 'q8') as ModelDtype;
const passageCount = Number(process.env.GPU_CHECK_PASSAGES ?? 10_000);
const pairCount = Number(process.env.GPU_CHECK_PAIRS ?? 2_000);
const cpuItems = Number(process.env.GPU_CHECK_CPU_ITEMS ?? 256);
const batchSize = Number(process.env.GPU_CHECK_BATCH ?? 64);

type Device = Exclude<ComputeDevice, 'auto'>;

/** A model that would not open on a device: the reason, for the report. */
async function openOrReason<T>(open: () => Promise<T>): Promise<T | string> {
  try {
    return await open();
  } catch (error) {
    if (isWinnowError(error, 'E_DEVICE_UNAVAILABLE') || isWinnowError(error, 'E_MODEL_LOAD')) {
      const failures = error.details?.failures;
      return Array.isArray(failures) ? failures.join('; ') : error.message;
    }
    throw error;
  }
}

const openEmbedder = (device: Device) =>
  openOrReason(() =>
    TransformersEmbedder.create({ model: embedModel, dtype, device, batchSize, cache: false, logger: () => undefined }),
  );
const openReranker = (device: Device) =>
  openOrReason(() =>
    CrossEncoderReranker.create({ model: rerankModel, dtype, device, batchSize, logger: () => undefined }),
  );

/** Abstracts cut into passages of about 60 words, as many as asked for. */
async function passages(count: number): Promise<string[]> {
  const out: string[] = [];
  for (const abstract of await readScifact(Number.POSITIVE_INFINITY)) {
    const words = abstract.split(/\s+/);
    for (let start = 0; start < words.length && out.length < count; start += 60) {
      out.push(words.slice(start, start + 60).join(' '));
    }
    if (out.length >= count) break;
  }
  return out;
}

/** SciFact claims paired with passages, 20 passages per claim, as a reranker sees them. */
async function pairs(texts: string[], count: number): Promise<QueryPassagePair[]> {
  const models = process.env.WINNOW_MODELS || findSharedModelsDir(process.cwd()) || '.';
  const lines = createInterface({
    input: createReadStream(join(dirname(models), 'datasets', 'scifact', 'queries.jsonl')),
  });
  const queries: string[] = [];
  for await (const line of lines) {
    if (line.trim() !== '') queries.push((JSON.parse(line) as { text: string }).text);
    if (queries.length * 20 >= count) break;
  }
  return Array.from({ length: count }, (_, i) => ({
    query: queries[Math.floor(i / 20)] ?? '',
    passage: texts[i % texts.length] ?? '',
  }));
}

interface Run<T> {
  device: Device;
  perSecond: number;
  items: number;
  results: T[];
}

async function timed<T>(device: Device, items: number, run: () => Promise<T[]>): Promise<Run<T>> {
  const start = performance.now();
  const results = await run();
  return { device, perSecond: items / ((performance.now() - start) / 1000), items, results };
}

function printRuns<T>(what: string, unit: string, runs: Run<T>[], difference: (a: T, b: T) => number): void {
  const cpu = runs.find((r) => r.device === 'cpu');
  for (const run of runs) {
    let vsCpu = '';
    if (cpu !== undefined && run !== cpu) {
      const shared = Math.min(run.results.length, cpu.results.length);
      let worst = 0;
      for (let i = 0; i < shared; i += 1) {
        worst = Math.max(worst, difference(run.results[i] as T, cpu.results[i] as T));
      }
      vsCpu = `  max |diff| vs cpu ${worst.toFixed(5)} over ${shared}`;
    }
    console.log(
      `${what.padEnd(9)} ${run.device.padEnd(7)} ${run.perSecond.toFixed(1).padStart(9)} ${unit}/s  (${run.items} ${unit})${vsCpu}`,
    );
  }
}

async function main(): Promise<void> {
  const named = process.env.GPU_CHECK_DEVICES?.split(',').map((d) => d.trim() as Device);
  const gpus = named ?? deviceCandidates('auto').filter((device) => device !== 'cpu');
  // As 'auto' does, a back-end that cannot work here is not opened (opening it only prints native errors); a device
  // named in GPU_CHECK_DEVICES is always tried.
  const devices: Device[] = [];
  for (const device of gpus) {
    const skipped = named === undefined ? autoDeviceSkipReason(device) : undefined;
    if (skipped === undefined) devices.push(device);
    else console.log(`${device}: not tried (${skipped})`);
  }
  devices.push('cpu');
  const texts = await passages(Math.max(passageCount, cpuItems));
  const scored = await pairs(texts, Math.max(pairCount, cpuItems));
  console.log(
    `gpu:check: embedder ${embedModel}, reranker ${rerankModel}, ${dtype}, batch ${batchSize}; ` +
      `${passageCount} passages and ${pairCount} pairs per GPU, ${cpuItems} of each on the CPU`,
  );

  const embedRuns: Run<Float32Array>[] = [];
  const rerankRuns: Run<number[]>[] = [];
  for (const device of devices) {
    const count = (n: number) => (device === 'cpu' ? Math.min(n, cpuItems) : n);
    const embedder = await openEmbedder(device);
    if (typeof embedder === 'string') console.log(`embedder  ${device}: not available (${embedder})`);
    else {
      const input = texts.slice(0, count(passageCount));
      await embedder.embed(input.slice(0, batchSize));
      embedRuns.push(await timed(device, input.length, async () => (await embedder.embed(input)).vectors));
      await embedder.close();
    }
    const reranker = await openReranker(device);
    if (typeof reranker === 'string') console.log(`reranker  ${device}: not available (${reranker})`);
    else {
      const input = scored.slice(0, count(pairCount));
      await reranker.scoreLogits(input.slice(0, batchSize));
      rerankRuns.push(await timed(device, input.length, () => reranker.scoreLogits(input)));
      await reranker.close();
    }
  }
  printRuns('embedder', 'texts', embedRuns, maxAbsDifference);
  printRuns('reranker', 'pairs', rerankRuns, (a, b) => maxAbsDifference(a, b));
  if (embedRuns.every((r) => r.device === 'cpu') && rerankRuns.every((r) => r.device === 'cpu')) {
    console.log(
      gpus.length === 0
        ? `gpu:check: onnxruntime-node has no GPU back-end on ${process.platform}/${process.arch}; CPU figures only.`
        : `gpu:check: no GPU device could be opened (tried ${gpus.join(', ')}); CPU figures only.`,
    );
  }
}

await main();
