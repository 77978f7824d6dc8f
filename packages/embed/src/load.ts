import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import {
  AutoModel,
  AutoTokenizer,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import {
  asRecord,
  type ComputeDevice,
  loadModelTokenizer,
  type ModelDtype,
  type ModelLocation,
  modelSource,
  openModel,
  type RuntimeLogger,
  readModelJson,
  resolveModel,
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
  const tokenizer = await loadModelTokenizer(
    location,
    { dtype: options.dtype, setting: `${options.settingPrefix}.model`, tokenizerOnly: options.tokenizerOnly ?? false },
    (source, fromOptions) => AutoTokenizer.from_pretrained(source, fromOptions),
  );
  return { location, tokenizer };
}

const onnxruntimeEntry = (): string => createRequire(import.meta.url).resolve('onnxruntime-node');

export async function loadTextModel(reference: string, options: LoadTextModelOptions): Promise<LoadedTextModel> {
  const { location, tokenizer } = await loadTokenizer(reference, options);
  const { source, local } = modelSource(location);
  const { value: model, device } = await openModel(location, { ...options, onnxruntimeEntry }, (candidate) =>
    AutoModel.from_pretrained(source, {
      dtype: options.dtype,
      device: candidate,
      local_files_only: local,
      ...(options.threads === undefined ? {} : { session_options: { intraOpNumThreads: options.threads } }),
    }),
  );
  const readJson = local
    ? (file: string) => readModelJson(join(source, file), { optional: true })
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
