import { createRequire } from 'node:module';
import {
  assertCudaProviderInstalled,
  autoDeviceSkipReason,
  type ComputeDeviceReport,
  type DeviceProbe,
  deviceCandidates,
  firstLine,
} from '@winnow/core';
import * as ort from 'onnxruntime-node';

const onnxruntimeEntry = (): string => createRequire(import.meta.url).resolve('onnxruntime-node');

/**
 * Opens `modelFile` (an ONNX file) on each device 'auto' would try on this platform (its GPU back-ends, then CPU)
 * and says which open; a session that opens is released at once. Devices that 'auto' passes over without trying
 * (WebGPU on Linux without the Vulkan loader, CUDA without onnxruntime-node's CUDA provider) are reported with that
 * reason and not opened, since opening them only prints native errors.
 */
export async function probeComputeDevices(modelFile: string): Promise<ComputeDeviceReport> {
  const devices: DeviceProbe[] = [];
  for (const device of deviceCandidates('auto')) {
    const skipped = device === 'cpu' ? undefined : autoDeviceSkipReason(device);
    if (skipped !== undefined) {
      devices.push({ device, opens: false, reason: skipped });
      continue;
    }
    try {
      if (device === 'cuda') assertCudaProviderInstalled(onnxruntimeEntry());
      const session = await ort.InferenceSession.create(modelFile, { executionProviders: [device] });
      await session.release();
      devices.push({ device, opens: true });
    } catch (error) {
      devices.push({ device, opens: false, reason: firstLine(error) });
    }
  }
  return { onnxruntime: ort.env.versions.node ?? 'unknown', platform: `${process.platform}/${process.arch}`, devices };
}
