/** `winnow doctor`'s execution-provider line, from a device report (the real probe is tested in @winnow/embed). */
import type { ComputeDeviceReport } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { checkExecutionProviders, describeDevices } from '../src/commands/doctor-devices.js';

const cpuOnly: ComputeDeviceReport = {
  onnxruntime: '1.30.0',
  platform: 'linux/x64',
  devices: [
    { device: 'cuda', opens: false, reason: 'onnxruntime-node has no CUDA provider in /x' },
    { device: 'webgpu', opens: false, reason: 'no Vulkan loader (libvulkan.so.1) installed' },
    { device: 'cpu', opens: true },
  ],
};
const withCuda: ComputeDeviceReport = {
  ...cpuOnly,
  devices: [{ device: 'cuda', opens: true }, ...cpuOnly.devices.slice(1)],
};
const embedderWith = (report: ComputeDeviceReport | undefined) => ({ probeDevices: async () => report });

describe('doctor: execution providers', () => {
  it('names every device with why it does not open', () => {
    expect(describeDevices(cpuOnly)).toBe(
      'onnxruntime-node 1.30.0 on linux/x64: cuda does not (onnxruntime-node has no CUDA provider in /x); ' +
        'webgpu does not (no Vulkan loader (libvulkan.so.1) installed); cpu opens',
    );
  });

  it('CPU only passes, with the README pointer as its hint', async () => {
    const check = await checkExecutionProviders(embedderWith(cpuOnly));
    expect(check).toMatchObject({ name: 'execution providers', ok: true, hint: 'to use a GPU see README.md, "GPU"' });
    expect(check.warning).toBeUndefined();
  });

  it('a GPU that opens needs no hint', async () => {
    const check = await checkExecutionProviders(embedderWith(withCuda));
    expect(check.ok).toBe(true);
    expect(check.detail).toContain('cuda opens');
    expect(check.hint).toBeUndefined();
  });

  it('fails when not even the CPU opens the model', async () => {
    const none: ComputeDeviceReport = { ...cpuOnly, devices: [{ device: 'cpu', opens: false, reason: 'bad file' }] };
    const check = await checkExecutionProviders(embedderWith(none));
    expect(check).toMatchObject({ ok: false, detail: expect.stringContaining('cpu does not (bad file)') });
  });

  it('an embedder that cannot probe (remote, or a hub model) is said so', async () => {
    for (const embedder of [{}, embedderWith(undefined)]) {
      const check = await checkExecutionProviders(embedder);
      expect(check).toEqual({
        name: 'execution providers',
        ok: true,
        detail: 'not probed: the embedder is not a local ONNX model',
      });
    }
  });
});
