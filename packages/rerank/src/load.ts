import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import {
  AutoModelForSequenceClassification,
  AutoTokenizer,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import {
  assertModelFolder,
  type ComputeDevice,
  hubModelError,
  type ModelDtype,
  openOnDevice,
  type RuntimeLogger,
  resolveModel,
  WinnowError,
} from '@winnow/core';

export interface LoadClassifierOptions {
  dtype: ModelDtype;
  device: ComputeDevice;
  modelsDir?: string | undefined;
  log: RuntimeLogger;
  /** onnxruntime intra-op threads per model call; undefined leaves onnxruntime's default (all cores). */
  threads?: number | undefined;
}

/** A sequence-classification model (a cross-encoder) and its tokenizer. */
export interface LoadedClassifier {
  /** Folder name or hub id. */
  name: string;
  /** Folder path or hub id, for messages. */
  where: string;
  tokenizer: PreTrainedTokenizer;
  model: PreTrainedModel;
  device: Exclude<ComputeDevice, 'auto'>;
  config: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

const SETTING = 'rerank.model';

/** Local folders load with `local_files_only` (no network); hub ids may download. */
export async function loadClassifier(reference: string, options: LoadClassifierOptions): Promise<LoadedClassifier> {
  const location = resolveModel(reference, { modelsDir: options.modelsDir });
  const local = location.kind === 'local';
  const source = local ? location.dir : location.id;
  let tokenizer: PreTrainedTokenizer;
  if (local) {
    assertModelFolder(source, options.dtype, SETTING);
    tokenizer = await AutoTokenizer.from_pretrained(source, { local_files_only: true }).catch((error) => {
      throw new WinnowError('E_MODEL_LOAD', `the tokenizer could not be loaded: ${String(error)}`, {
        file: join(source, 'tokenizer.json'),
        setting: SETTING,
        cause: error,
      });
    });
  } else {
    tokenizer = await AutoTokenizer.from_pretrained(source).catch((error) => {
      throw hubModelError(source, options.dtype, error, SETTING);
    });
  }
  const { value: model, device } = await openOnDevice(
    options.device,
    async (candidate) => {
      if (candidate === 'cuda') assertCudaProviderInstalled();
      try {
        return await AutoModelForSequenceClassification.from_pretrained(source, {
          dtype: options.dtype,
          device: candidate,
          local_files_only: local,
          ...(options.threads === undefined ? {} : { session_options: { intraOpNumThreads: options.threads } }),
        });
      } catch (error) {
        if (!local && /fetch failed|could not locate file|not found|status (401|403|404)/i.test(String(error))) {
          throw hubModelError(source, options.dtype, error, SETTING);
        }
        throw error;
      }
    },
    { what: source, setting: 'rerank.device', log: options.log },
  );
  const config = local ? await readJson(join(source, 'config.json')) : model.config;
  const tokenizerConfig = local ? await readJson(join(source, 'tokenizer_config.json')) : tokenizer.config;
  return {
    name: local ? basename(source) : source,
    where: source,
    tokenizer,
    model,
    device,
    config: asRecord(config),
    tokenizerConfig: asRecord(tokenizerConfig),
  };
}

/** Checks for onnxruntime-node's CUDA provider so a missing one is a clear reason, not a native error. */
function assertCudaProviderInstalled(): void {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  const binaries = join(dirname(dirname(entry)), 'bin', 'napi-v6', process.platform, process.arch);
  if (!existsSync(join(binaries, 'libonnxruntime_providers_cuda.so'))) {
    throw new Error(`onnxruntime-node has no CUDA provider in ${binaries}`);
  }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new WinnowError('E_MODEL_LOAD', 'cannot read this JSON file', { file: path, cause: error });
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}
