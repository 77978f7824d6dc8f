import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { WinnowError } from './errors.js';
import {
  assertModelFolder,
  type ComputeDevice,
  hubModelError,
  type ModelDtype,
  openOnDevice,
  type RuntimeLogger,
} from './model-runtime.js';
import type { ModelLocation } from './models.js';

/**
 * The steps every stage that runs a transformers.js model shares (embedders, cross-encoders, token counters):
 * check the folder, load the tokenizer, open the model on the best device, read its JSON files, with errors that
 * name the folder and the setting. transformers.js itself stays out of core: the stage passes its `from_pretrained`.
 */

/** The source transformers.js is given, and whether it is a local folder (then nothing is downloaded). */
export function modelSource(location: ModelLocation): { source: string; local: boolean } {
  return location.kind === 'local' ? { source: location.dir, local: true } : { source: location.id, local: false };
}

/** `AutoTokenizer.from_pretrained`, or any function of that shape. */
export type TokenizerFactory<T> = (source: string, options: { local_files_only: boolean }) => Promise<T>;

/**
 * Loads a model's tokenizer. A local folder is checked first (tokenizer files only when `tokenizerOnly`) and read
 * with `local_files_only`; a failure is E_MODEL_LOAD naming its tokenizer.json. A hub id that cannot be loaded
 * gives the hint to run offline.
 */
export async function loadModelTokenizer<T>(
  location: ModelLocation,
  options: { dtype: ModelDtype; setting: string; tokenizerOnly?: boolean },
  fromPretrained: TokenizerFactory<T>,
): Promise<T> {
  if (location.kind === 'local') {
    assertModelFolder(location.dir, options.tokenizerOnly ? undefined : options.dtype, options.setting);
    try {
      return await fromPretrained(location.dir, { local_files_only: true });
    } catch (error) {
      throw new WinnowError('E_MODEL_LOAD', `the tokenizer could not be loaded: ${String(error)}`, {
        file: join(location.dir, 'tokenizer.json'),
        setting: options.setting,
        cause: error,
      });
    }
  }
  try {
    return await fromPretrained(location.id, { local_files_only: false });
  } catch (error) {
    throw hubModelError(location.id, options.dtype, error, options.setting);
  }
}

export interface OpenModelOptions {
  dtype: ModelDtype;
  device: ComputeDevice;
  /** The config section named in errors, e.g. `embed` (then `embed.model`, `embed.device`). */
  settingPrefix: string;
  log: RuntimeLogger;
  /** Where onnxruntime-node's entry file is (`createRequire(import.meta.url).resolve('onnxruntime-node')`). */
  onnxruntimeEntry: () => string;
}

/**
 * Opens a model with `open` on the first device that works (see openOnDevice). CUDA is only tried when
 * onnxruntime-node has its CUDA provider; a hub file that cannot be fetched gives the offline hint.
 */
export async function openModel<T>(
  location: ModelLocation,
  options: OpenModelOptions,
  open: (device: Exclude<ComputeDevice, 'auto'>) => Promise<T>,
): Promise<{ value: T; device: Exclude<ComputeDevice, 'auto'> }> {
  const { source, local } = modelSource(location);
  return openOnDevice(
    options.device,
    async (candidate) => {
      if (candidate === 'cuda') assertCudaProviderInstalled(options.onnxruntimeEntry());
      try {
        return await open(candidate);
      } catch (error) {
        if (!local && isHubMissingFileError(error)) {
          throw hubModelError(source, options.dtype, error, `${options.settingPrefix}.model`);
        }
        throw error;
      }
    },
    { what: source, setting: `${options.settingPrefix}.device`, log: options.log },
  );
}

/**
 * onnxruntime-node only has CUDA when installed with its CUDA provider; without it, session creation fails with a
 * native error on stderr. Checking the file first gives a clear reason instead.
 */
export function assertCudaProviderInstalled(onnxruntimeEntry: string): void {
  const binaries = join(dirname(dirname(onnxruntimeEntry)), 'bin', 'napi-v6', process.platform, process.arch);
  if (!existsSync(join(binaries, 'libonnxruntime_providers_cuda.so'))) {
    throw new Error(
      `onnxruntime-node has no CUDA provider in ${binaries} (installed with ONNXRUNTIME_NODE_INSTALL_CUDA=skip or not on linux x64)`,
    );
  }
}

/** Whether a hub load failed because a file or the hub could not be reached (not because the model is broken). */
export function isHubMissingFileError(error: unknown): boolean {
  return /fetch failed|could not locate file|not found|ENOTFOUND|ECONNREFUSED|Unauthorized|status (401|403|404)/i.test(
    String(error),
  );
}

/** A model folder's JSON file; undefined when `optional` and the file is absent. Bad JSON is E_MODEL_LOAD. */
export async function readModelJson(path: string, options: { optional?: boolean } = {}): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (options.optional) return undefined;
    throw new WinnowError('E_MODEL_LOAD', 'cannot read this file of the model', { file: path, cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WinnowError('E_MODEL_LOAD', 'the file is not valid JSON', { file: path, cause: error });
  }
}

/** A parsed JSON object as a record; anything else as an empty one. */
export function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}
