import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { WinnowError } from './errors.js';

/**
 * What local ONNX models (transformers.js layout) need, shared by every stage that runs one: the files a model
 * folder must hold for a dtype, and opening a model on the first compute device that works.
 */

/** Weight formats of the transformers.js layout; each has its own ONNX file. */
export type ModelDtype = 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'bnb4' | 'q4f16';
export type ComputeDevice = 'auto' | 'cpu' | 'cuda' | 'webgpu' | 'dml' | 'coreml';

const ONNX_SUFFIX: Record<ModelDtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  bnb4: '_bnb4',
  q4f16: '_q4f16',
};

/** The ONNX file transformers.js loads for a dtype, relative to the model folder. */
export function onnxFileFor(dtype: ModelDtype): string {
  return `onnx/model${ONNX_SUFFIX[dtype]}.onnx`;
}

/** Files a text model folder must hold to load with this dtype; without a dtype, those the tokenizer needs. */
export function requiredModelFiles(dtype?: ModelDtype): string[] {
  const tokenizerFiles = ['tokenizer.json', 'tokenizer_config.json'];
  return dtype === undefined ? tokenizerFiles : ['config.json', ...tokenizerFiles, onnxFileFor(dtype)];
}

/** The dtypes whose ONNX file is present in a folder, so an error can say which would work. */
export function availableDtypes(dir: string): ModelDtype[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, 'onnx'));
  } catch {
    return [];
  }
  return (Object.keys(ONNX_SUFFIX) as ModelDtype[]).filter((dtype) => names.includes(onnxFileFor(dtype).slice(5)));
}

/**
 * Throws E_MODEL_NOT_FOUND naming the folder, the files expected and the ones missing. Without a dtype only the
 * tokenizer files are required (for token counting).
 */
export function assertModelFolder(dir: string, dtype: ModelDtype | undefined, setting = 'model'): void {
  const expected = requiredModelFiles(dtype);
  if (!existsSync(dir)) {
    throw new WinnowError('E_MODEL_NOT_FOUND', `the model folder does not exist; expected ${expected.join(', ')}`, {
      file: dir,
      setting,
      details: { expected, missing: expected },
      hint: 'set WINNOW_MODELS to a folder of model folders, or give a path or a Hugging Face hub id',
    });
  }
  const missing = expected.filter((file) => !existsSync(join(dir, file)));
  if (missing.length === 0) return;
  const present = availableDtypes(dir);
  const dtypeHint =
    dtype !== undefined && present.length > 0 && !present.includes(dtype)
      ? `this folder has ONNX weights for dtype ${present.join(', ')}; choose one of those`
      : 'copy the missing files from the model repository (transformers.js layout)';
  throw new WinnowError(
    'E_MODEL_NOT_FOUND',
    `the model folder is incomplete${dtype === undefined ? '' : ` for dtype ${dtype}`}: missing ${missing.join(', ')} (expected ${expected.join(', ')})`,
    { file: dir, setting, details: { expected, missing, availableDtypes: present }, hint: dtypeHint },
  );
}

/** Devices to try, best first: 'auto' means the GPU back-ends onnxruntime-node has on this platform, then CPU. */
export function deviceCandidates(
  device: ComputeDevice,
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): Exclude<ComputeDevice, 'auto'>[] {
  if (device !== 'auto') return [device];
  if (platform === 'linux') return arch === 'x64' ? ['cuda', 'webgpu', 'cpu'] : ['cpu'];
  if (platform === 'win32') return ['dml', 'webgpu', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'webgpu', 'cpu'];
  return ['cpu'];
}

/**
 * Whether the Vulkan loader is installed (the dynamic linker's cache, or LD_LIBRARY_PATH). On Linux onnxruntime's
 * WebGPU back-end (Dawn) runs on Vulkan only; without the loader opening it fails after Dawn prints native warnings.
 */
export function hasVulkanLoader(
  env: NodeJS.ProcessEnv = process.env,
  cacheFile = '/etc/ld.so.cache',
  readCache: (file: string) => Buffer = readFileSync,
): boolean {
  const library = 'libvulkan.so.1';
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  if (dirs.some((dir) => existsSync(join(dir, library)))) return true;
  try {
    return readCache(cacheFile).includes(library);
  } catch {
    return false; // no cache file: a static or unusual system; the plain attempt still runs for explicit 'webgpu'
  }
}

/**
 * Why a device that 'auto' would try cannot work here, found without opening it, or undefined. Only 'auto' skips
 * on this: an explicitly requested device is always attempted, so its own error reaches the user.
 */
export function autoDeviceSkipReason(
  device: Exclude<ComputeDevice, 'auto'>,
  platform: NodeJS.Platform = process.platform,
  vulkan: () => boolean = hasVulkanLoader,
): string | undefined {
  if (device === 'webgpu' && platform === 'linux' && !vulkan()) return 'no Vulkan loader (libvulkan.so.1) installed';
  return undefined;
}

/** Whether onnxruntime opened a model on one device of this machine, and if not, why. */
export interface DeviceProbe {
  device: Exclude<ComputeDevice, 'auto'>;
  opens: boolean;
  /** Why it does not open: the first line of onnxruntime's error, or why it was not tried. */
  reason?: string;
}

/** The devices onnxruntime can open here, as `winnow doctor` shows them. */
export interface ComputeDeviceReport {
  /** onnxruntime-node's version. */
  onnxruntime: string;
  /** `platform/arch`, e.g. linux/x64. */
  platform: string;
  devices: DeviceProbe[];
}

export type RuntimeLogger = (message: string) => void;

const warned = new Set<string>();
/** The default logger: console.warn, each distinct message once per process. */
export const warnOnce: RuntimeLogger = (message) => {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(message);
};

export interface OpenOnDeviceOptions {
  /** Names what is opened in messages, e.g. the model folder. */
  what: string;
  /** The setting that chose the device, e.g. `embed.device`. */
  setting?: string;
  log?: RuntimeLogger;
  /** Why 'auto' should pass over a device without trying it; default autoDeviceSkipReason. */
  skipReason?: (device: Exclude<ComputeDevice, 'auto'>) => string | undefined;
}

/**
 * Opens something (a model session) on the first device of `deviceCandidates(device)` that works, logging why
 * each earlier one was skipped. All failing: E_DEVICE_UNAVAILABLE when only GPUs were tried, else E_MODEL_LOAD
 * (CPU always exists, so a CPU failure is the model's fault).
 */
export async function openOnDevice<T>(
  device: ComputeDevice,
  open: (device: Exclude<ComputeDevice, 'auto'>) => Promise<T>,
  options: OpenOnDeviceOptions,
): Promise<{ value: T; device: Exclude<ComputeDevice, 'auto'> }> {
  const log = options.log ?? warnOnce;
  const skipReason = options.skipReason ?? ((d) => autoDeviceSkipReason(d));
  const failures: string[] = [];
  let candidates = deviceCandidates(device);
  if (device === 'auto') {
    candidates = candidates.filter((candidate) => {
      const reason = candidate === 'cpu' ? undefined : skipReason(candidate);
      if (reason !== undefined) {
        failures.push(`${candidate}: ${reason}`);
        log(`${options.what}: device ${candidate} skipped (${reason})`);
      }
      return reason === undefined;
    });
  }
  for (const [index, candidate] of candidates.entries()) {
    try {
      return { value: await open(candidate), device: candidate };
    } catch (error) {
      if (error instanceof WinnowError) throw error;
      const reason = firstLine(error);
      failures.push(`${candidate}: ${reason}`);
      const next = candidates[index + 1];
      if (next !== undefined)
        log(`${options.what}: device ${candidate} unavailable (${reason}); falling back to ${next}`);
      else {
        const code = candidate === 'cpu' ? 'E_MODEL_LOAD' : 'E_DEVICE_UNAVAILABLE';
        const message =
          code === 'E_MODEL_LOAD'
            ? `the model could not be loaded: ${failures.join('; ')}`
            : `no requested device could be opened: ${failures.join('; ')}`;
        throw new WinnowError(code, message, {
          file: options.what,
          ...(options.setting === undefined ? {} : { setting: options.setting }),
          cause: error,
          details: { tried: candidates, failures },
          hint: code === 'E_DEVICE_UNAVAILABLE' ? "use device 'auto' or 'cpu'" : undefined,
        });
      }
    }
  }
  throw new WinnowError('E_INTERNAL', 'no device candidates', { file: options.what });
}

/** The first non-empty line of an error's message (native errors run on over many lines), at most 300 characters. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n').find((line) => line.trim() !== '') ?? text).trim().slice(0, 300);
}

/**
 * The one error for a hub model that cannot be loaded (hub unreachable, unknown id, missing file): it says how to
 * run offline instead.
 */
export function hubModelError(id: string, dtype: ModelDtype, cause: unknown, setting = 'model'): WinnowError {
  const folder = id.split('/').pop() ?? id;
  return new WinnowError(
    'E_MODEL_NOT_FOUND',
    `could not load "${id}" from the Hugging Face hub (${firstLine(cause)}); no local folder of that name was found`,
    {
      setting,
      cause,
      details: { id, expectedFiles: requiredModelFiles(dtype) },
      hint: `to run offline, set WINNOW_MODELS to a folder that holds a "${folder}" folder with ${requiredModelFiles(dtype).join(', ')}, or give the folder's path`,
    },
  );
}

/**
 * Physical CPU cores, for onnxruntime's intra-op thread count: a second hyper-thread on the same core adds little
 * to int8 matrix products and makes the two threads contend. Linux counts distinct (physical id, core id) pairs in
 * /proc/cpuinfo; elsewhere, or if that file says nothing useful, all logical CPUs.
 */
export function physicalCoreCount(cpuinfo: string | undefined = readCpuinfo()): number {
  const logical = availableParallelism();
  if (cpuinfo === undefined) return logical;
  const cores = new Set<string>();
  for (const block of cpuinfo.split(/\n\s*\n/)) {
    const socket = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (socket !== undefined && core !== undefined) cores.add(`${socket}:${core}`);
  }
  return cores.size > 0 ? Math.min(cores.size, logical) : logical;
}

function readCpuinfo(): string | undefined {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
}
