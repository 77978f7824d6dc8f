import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import {
  AutoModel,
  AutoTokenizer,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import {
  assertModelFolder,
  type ComputeDevice,
  hubModelError,
  type ModelDtype,
  type ModelLocation,
  openOnDevice,
  type RuntimeLogger,
  resolveModel,
  WinnowError,
} from '@winnow/core';

export interface LoadTextModelOptions {
  dtype: ModelDtype;
  device: ComputeDevice;
  modelsDir?: string | undefined;
  log: RuntimeLogger;
  /** Config section named in errors, e.g. `embed`. */
  settingPrefix: string;
  /** onnxruntime intra-op threads per model call; undefined leaves onnxruntime's default (all cores). */
  threads?: number | undefined;
}

/** A tokenizer and ONNX model opened from a local folder or the hub. */
export interface LoadedTextModel {
  location: ModelLocation;
  /** The folder name or hub id: the model part of modelId and the key of family defaults. */
  name: string;
  /** The folder path or hub id, for messages. */
  where: string;
  tokenizer: PreTrainedTokenizer;
  model: PreTrainedModel;
  device: Exclude<ComputeDevice, 'auto'>;
  config: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  /** An optional JSON file of the model, undefined when absent. */
  readJson(file: string): Promise<unknown>;
}

/** Local folders are read with `local_files_only`, so no network is touched; hub ids may download. */
export async function loadTokenizer(
  reference: string,
  options: Pick<LoadTextModelOptions, 'dtype' | 'modelsDir' | 'settingPrefix'> & { tokenizerOnly?: boolean },
): Promise<{ location: ModelLocation; tokenizer: PreTrainedTokenizer }> {
  const location = resolveModel(reference, { modelsDir: options.modelsDir });
  const setting = `${options.settingPrefix}.model`;
  if (location.kind === 'local') {
    assertModelFolder(location.dir, options.tokenizerOnly ? undefined : options.dtype, setting);
    const tokenizer = await AutoTokenizer.from_pretrained(location.dir, { local_files_only: true }).catch((error) => {
      throw new WinnowError('E_MODEL_LOAD', `the tokenizer could not be loaded: ${String(error)}`, {
        file: join(location.dir, 'tokenizer.json'),
        setting,
        cause: error,
      });
    });
    return { location, tokenizer };
  }
  try {
    return { location, tokenizer: await AutoTokenizer.from_pretrained(location.id) };
  } catch (error) {
    throw hubModelError(location.id, options.dtype, error, setting);
  }
}

export async function loadTextModel(reference: string, options: LoadTextModelOptions): Promise<LoadedTextModel> {
  const { location, tokenizer } = await loadTokenizer(reference, options);
  const local = location.kind === 'local';
  const source = local ? location.dir : location.id;
  const { value: model, device } = await openOnDevice(
    options.device,
    async (candidate) => {
      if (candidate === 'cuda') assertCudaProviderInstalled();
      try {
        return await AutoModel.from_pretrained(source, {
          dtype: options.dtype,
          device: candidate,
          local_files_only: local,
          ...(options.threads === undefined ? {} : { session_options: { intraOpNumThreads: options.threads } }),
        });
      } catch (error) {
        if (!local && isMissingFile(error))
          throw hubModelError(source, options.dtype, error, `${options.settingPrefix}.model`);
        throw error;
      }
    },
    { what: source, setting: `${options.settingPrefix}.device`, log: options.log },
  );
  const readJson = local
    ? (file: string) => readLocalJson(join(source, file))
    : (file: string) => readHubJson(source, file);
  // Hub files were fetched by transformers already; its parsed copies are the same JSON.
  const config = local ? await readJson('config.json') : model.config;
  const tokenizerConfig = local ? await readJson('tokenizer_config.json') : tokenizer.config;
  return {
    location,
    name: local ? basename(source) : source,
    where: source,
    tokenizer,
    model,
    device,
    config: asRecord(config),
    tokenizerConfig: asRecord(tokenizerConfig),
    readJson,
  };
}

/**
 * onnxruntime-node only has CUDA when installed with its CUDA provider; without it, session creation fails with a
 * native error on stderr. Checking the file first gives a clear reason instead.
 */
export function assertCudaProviderInstalled(): void {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('onnxruntime-node');
  const binaries = join(dirname(dirname(entry)), 'bin', 'napi-v6', process.platform, process.arch);
  if (!existsSync(join(binaries, 'libonnxruntime_providers_cuda.so'))) {
    throw new Error(
      `onnxruntime-node has no CUDA provider in ${binaries} (installed with ONNXRUNTIME_NODE_INSTALL_CUDA=skip or not on linux x64)`,
    );
  }
}

function isMissingFile(error: unknown): boolean {
  const text = String(error);
  return /fetch failed|could not locate file|not found|ENOTFOUND|ECONNREFUSED|Unauthorized|status (401|403|404)/i.test(
    text,
  );
}

async function readLocalJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WinnowError('E_MODEL_LOAD', 'the file is not valid JSON', { file: path, cause: error });
  }
}

/** Optional sentence-transformers files of a hub model; absent or unreachable reads as undefined. */
async function readHubJson(id: string, file: string): Promise<unknown> {
  const path = env.remotePathTemplate.replaceAll('{model}', id).replaceAll('{revision}', 'main');
  const url = `${env.remoteHost.replace(/\/$/, '')}/${path.replace(/^\/|\/$/g, '')}/${file}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(20_000) });
    return response.ok ? await response.json() : undefined;
  } catch {
    return undefined;
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}
