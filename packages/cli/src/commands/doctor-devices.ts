import type { ComputeDeviceReport } from '@winnow/core';
import type { Check } from './doctor-command.js';

/** `onnxruntime-node 1.30.0 on linux/x64: cuda does not (why); cpu opens`. */
export function describeDevices(report: ComputeDeviceReport): string {
  const devices = report.devices.map((d) => (d.opens ? `${d.device} opens` : `${d.device} does not (${d.reason})`));
  return `onnxruntime-node ${report.onnxruntime} on ${report.platform}: ${devices.join('; ')}`;
}

/** An embedder that can say which devices onnxruntime opens here (TransformersEmbedder). */
interface ProbesDevices {
  probeDevices(): Promise<ComputeDeviceReport | undefined>;
}

const probesDevices = (model: unknown): model is ProbesDevices =>
  typeof (model as Partial<ProbesDevices> | undefined)?.probeDevices === 'function';

/**
 * `winnow doctor`'s execution-provider line: the devices onnxruntime-node can open on this machine, tried on the
 * embedder's own ONNX file. CPU only is a working set-up, so it passes; the hint names the GPU section of the README.
 */
export async function checkExecutionProviders(embedder: unknown): Promise<Check> {
  const name = 'execution providers';
  const report = probesDevices(embedder) ? await embedder.probeDevices() : undefined;
  if (report === undefined) {
    return { name, ok: true, detail: 'not probed: the embedder is not a local ONNX model' };
  }
  const gpu = report.devices.some((d) => d.opens && d.device !== 'cpu');
  return {
    name,
    ok: report.devices.some((d) => d.opens),
    detail: describeDevices(report),
    ...(gpu ? {} : { hint: 'to use a GPU see README.md, "GPU"' }),
  };
}
