import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertModelFolder, deviceCandidates, isWinnowError, onnxFileFor, openOnDevice } from '../src/index.js';

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
