/**
 * GPU check: opens the embedder on every GPU back-end onnxruntime-node has on this platform (cuda, webgpu, …),
 * embeds the same passages there and on CPU, and prints throughput per device and the largest difference from
 * the CPU vectors. With no usable GPU it says why for each back-end and exits 0.
 *
 *   pnpm gpu:check
 *
 * Env: GPU_CHECK_MODEL (default all-MiniLM-L6-v2), GPU_CHECK_DTYPE (q8), GPU_CHECK_PASSAGES (10000),
 * GPU_CHECK_BATCH (64), GPU_CHECK_DEVICES (comma list instead of this platform's GPU back-ends; `cpu` dry-runs the
 * comparison), WINNOW_MODELS.
 */
import { type ComputeDevice, deviceCandidates, isWinnowError, type ModelDtype } from '@winnow/core';
import { cosineSimilarity, maxAbsDifference, TransformersEmbedder } from '../src/index.js';
import { readScifact } from './corpus.js';

const model = process.env.GPU_CHECK_MODEL ?? 'all-MiniLM-L6-v2';
const dtype = (process.env.GPU_CHECK_DTYPE ?? 'q8') as ModelDtype;
const passageCount = Number(process.env.GPU_CHECK_PASSAGES ?? 10_000);
const batchSize = Number(process.env.GPU_CHECK_BATCH ?? 64);

type Device = Exclude<ComputeDevice, 'auto'>;

async function open(device: Device): Promise<TransformersEmbedder | string> {
  try {
    return await TransformersEmbedder.create({
      model,
      dtype,
      device,
      batchSize,
      cache: false,
      logger: () => undefined,
    });
  } catch (error) {
    if (isWinnowError(error, 'E_DEVICE_UNAVAILABLE') || isWinnowError(error, 'E_MODEL_LOAD')) {
      const failures = error.details?.failures;
      return Array.isArray(failures) ? failures.join('; ') : error.message;
    }
    throw error;
  }
}

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

async function main(): Promise<void> {
  const gpus = process.env.GPU_CHECK_DEVICES
    ? (process.env.GPU_CHECK_DEVICES.split(',').map((d) => d.trim()) as Device[])
    : deviceCandidates('auto').filter((device) => device !== 'cpu');
  const opened: Array<[Device, TransformersEmbedder]> = [];
  for (const device of gpus) {
    const result = await open(device);
    if (typeof result === 'string') console.log(`${device}: not available (${result})`);
    else opened.push([device, result]);
  }
  if (opened.length === 0) {
    console.log(
      gpus.length === 0
        ? `gpu:check: onnxruntime-node has no GPU back-end on ${process.platform}/${process.arch}; nothing to check.`
        : `gpu:check: no GPU device could be opened (tried ${gpus.join(', ')}); nothing to check. Exiting cleanly.`,
    );
    return;
  }
  const texts = await passages(passageCount);
  console.log(`gpu:check: ${model} ${dtype}, ${texts.length} passages, batch ${batchSize}`);
  const cpu = await open('cpu');
  if (typeof cpu === 'string') throw new Error(`CPU failed: ${cpu}`);
  const results: Array<[Device, Float32Array[], number]> = [];
  for (const [device, embedder] of [...opened, ['cpu', cpu] as [Device, TransformersEmbedder]]) {
    await embedder.embed(texts.slice(0, batchSize));
    const start = performance.now();
    const { vectors } = await embedder.embed(texts);
    const seconds = (performance.now() - start) / 1000;
    results.push([device, vectors, seconds]);
    console.log(
      `${device.padEnd(7)} ${(texts.length / seconds).toFixed(1).padStart(9)} passages/s (${embedder.device})`,
    );
    await embedder.close();
  }
  const reference = results.at(-1)?.[1] ?? [];
  for (const [device, vectors] of results.slice(0, -1)) {
    let maxDiff = 0;
    let minCosine = 1;
    vectors.forEach((vector, i) => {
      const expected = reference[i] ?? new Float32Array();
      maxDiff = Math.max(maxDiff, maxAbsDifference(vector, expected));
      minCosine = Math.min(minCosine, cosineSimilarity(vector, expected));
    });
    console.log(`${device} vs cpu: max |diff| ${maxDiff.toFixed(5)}, min cosine ${minCosine.toFixed(6)}`);
  }
}

await main();
