import { createRequire } from 'node:module';
import { join } from 'node:path';
import { assertCudaProviderInstalled, deviceCandidates, onnxFileFor } from '@winnow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LruEmbeddingCache, probeComputeDevices, TransformersEmbedder } from '../src/index.js';
import { modelsDir } from './helpers.js';

const modelFile = join(modelsDir, 'all-MiniLM-L6-v2', onnxFileFor('q8'));
const cudaProviderMissing = (() => {
  try {
    assertCudaProviderInstalled(createRequire(import.meta.url).resolve('onnxruntime-node'));
    return false;
  } catch {
    return true;
  }
})();

describe('probeComputeDevices (real onnxruntime-node)', () => {
  it("tries every device 'auto' would, in order; the CPU opens and every other device says why not", async () => {
    const report = await probeComputeDevices(modelFile);
    expect(report.devices.map((d) => d.device)).toEqual(deviceCandidates('auto'));
    expect(report.onnxruntime).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.platform).toBe(`${process.platform}/${process.arch}`);
    expect(report.devices.at(-1)).toEqual({ device: 'cpu', opens: true });
    for (const probe of report.devices.filter((d) => !d.opens)) expect(probe.reason, probe.device).toBeTruthy();
    const cuda = report.devices.find((d) => d.device === 'cuda');
    if (cuda !== undefined && cudaProviderMissing) {
      expect(cuda).toMatchObject({ opens: false, reason: expect.stringContaining('no CUDA provider') });
    }
    console.log(JSON.stringify(report));
  });

  it("a file that is not an ONNX model opens nowhere, with onnxruntime's reason", async () => {
    const report = await probeComputeDevices(join(modelsDir, 'all-MiniLM-L6-v2', 'config.json'));
    expect(report.devices.find((d) => d.device === 'cpu')).toMatchObject({ opens: false, reason: expect.any(String) });
  });
});

describe('TransformersEmbedder load-time warm-up and devices', () => {
  const cache = new LruEmbeddingCache();
  let embedder: TransformersEmbedder;
  beforeAll(async () => {
    embedder = await TransformersEmbedder.create({ model: 'all-MiniLM-L6-v2', device: 'cpu', cache });
  });
  afterAll(() => embedder.close());

  it('warms up without storing the warm-up vector in the cache', () => {
    expect(cache.size).toBe(0);
    expect(cache.misses).toBe(0);
  });

  it('probes devices on its own ONNX file', async () => {
    const report = await embedder.probeDevices();
    expect(report?.devices.find((d) => d.device === 'cpu')).toEqual({ device: 'cpu', opens: true });
  });
});
