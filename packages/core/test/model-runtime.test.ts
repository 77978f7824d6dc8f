import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertModelFolder,
  autoDeviceSkipReason,
  deviceCandidates,
  hasVulkanLoader,
  isWinnowError,
  onnxFileFor,
  openOnDevice,
} from '../src/index.js';

describe('model folders', () => {
  it('names the ONNX file of each dtype', () => {
    expect(onnxFileFor('q8')).toBe('onnx/model_quantized.onnx');
    expect(onnxFileFor('fp32')).toBe('onnx/model.onnx');
    expect(onnxFileFor('fp16')).toBe('onnx/model_fp16.onnx');
  });

  it('lists expected and missing files of an incomplete folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'winnow-model-'));
    writeFileSync(join(dir, 'config.json'), '{}');
    mkdirSync(join(dir, 'onnx'));
    writeFileSync(join(dir, 'onnx', 'model_quantized.onnx'), '');
    let error: unknown;
    try {
      assertModelFolder(dir, 'fp32', 'embed.model');
    } catch (caught) {
      error = caught;
    }
    expect(isWinnowError(error, 'E_MODEL_NOT_FOUND')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(dir);
    expect(message).toContain('missing tokenizer.json, tokenizer_config.json, onnx/model.onnx');
    expect(message).toContain('dtype q8');
  });

  it('reports a folder that does not exist', () => {
    expect(() => assertModelFolder('/nonexistent/model', 'q8')).toThrow(/E_MODEL_NOT_FOUND.*does not exist/);
  });
});

describe('devices', () => {
  it('tries GPU back-ends before CPU for auto', () => {
    expect(deviceCandidates('auto', 'linux', 'x64')).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(deviceCandidates('auto', 'linux', 'arm64')).toEqual(['cpu']);
    expect(deviceCandidates('cuda', 'linux', 'x64')).toEqual(['cuda']);
  });

  it('falls back and logs why', async () => {
    const logged: string[] = [];
    const opened = await openOnDevice(
      'auto',
      async (device) => {
        if (device !== 'cpu') throw new Error(`${device} is not here\nstack`);
        return 'session';
      },
      { what: 'model-x', log: (message) => logged.push(message) },
    );
    expect(opened).toEqual({ value: 'session', device: 'cpu' });
    expect(logged.length).toBeGreaterThan(0);
    expect(logged[logged.length - 1]).toMatch(
      /model-x: device \w+ unavailable \(\w+ is not here\); falling back to cpu/,
    );
  });

  it("'auto' passes over a device that cannot work here without opening it; an explicit one is still tried", async () => {
    const tried: string[] = [];
    const logged: string[] = [];
    const open = async (device: string) => {
      tried.push(device);
      if (device !== 'cpu') throw new Error(`${device} is not here`);
      return 'session';
    };
    const skipReason = (device: string) => (device === 'webgpu' ? 'no Vulkan loader' : undefined);
    await openOnDevice('auto', open, { what: 'model-x', log: (m) => logged.push(m), skipReason });
    expect(tried).not.toContain('webgpu');
    expect(tried[tried.length - 1]).toBe('cpu');
    expect(logged).toContain('model-x: device webgpu skipped (no Vulkan loader)');
    tried.length = 0;
    await openOnDevice('webgpu', open, { what: 'model-x', log: () => {}, skipReason }).catch(() => {});
    expect(tried).toEqual(['webgpu']);
  });

  it('skips webgpu on Linux only when the Vulkan loader is missing', () => {
    expect(autoDeviceSkipReason('webgpu', 'linux', () => false)).toMatch(/libvulkan\.so\.1/);
    expect(autoDeviceSkipReason('webgpu', 'linux', () => true)).toBeUndefined();
    expect(autoDeviceSkipReason('webgpu', 'win32', () => false)).toBeUndefined();
    expect(autoDeviceSkipReason('cuda', 'linux', () => false)).toBeUndefined();
  });

  it('finds the Vulkan loader in the linker cache or on LD_LIBRARY_PATH', () => {
    const cache = (text: string) => () => Buffer.from(`\0glibc-ld.so.cache1.1\0${text}\0`);
    expect(hasVulkanLoader({}, 'cache', cache('libvulkan.so.1'))).toBe(true);
    expect(hasVulkanLoader({}, 'cache', cache('libz.so.1'))).toBe(false);
    const missing = () => {
      throw new Error('ENOENT');
    };
    expect(hasVulkanLoader({}, 'cache', missing)).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'winnow-vulkan-'));
    writeFileSync(join(dir, 'libvulkan.so.1'), '');
    expect(hasVulkanLoader({ LD_LIBRARY_PATH: `/nowhere:${dir}` }, 'cache', missing)).toBe(true);
  });

  it('gives E_DEVICE_UNAVAILABLE when an explicit GPU fails', async () => {
    const error = await openOnDevice(
      'cuda',
      async () => {
        throw new Error('no CUDA');
      },
      { what: 'model-x', setting: 'embed.device' },
    ).catch((e) => e);
    expect(isWinnowError(error, 'E_DEVICE_UNAVAILABLE')).toBe(true);
    expect(error.message).toContain('embed.device');
  });
});
