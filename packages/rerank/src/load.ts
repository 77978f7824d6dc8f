import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import {
  AutoModelForSequenceClassification,
  AutoTokenizer,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import {
  asRecord,
  type ComputeDevice,
  loadModelTokenizer,
  type ModelDtype,
  modelSource,
  openModel,
  type RuntimeLogger,
  readModelJson,
  resolveModel,
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
  const { source, local } = modelSource(location);
  const tokenizer = await loadModelTokenizer(
    location,
    { dtype: options.dtype, setting: SETTING },
    (from, fromOptions) => AutoTokenizer.from_pretrained(from, fromOptions),
  );
  const { value: model, device } = await openModel(
    location,
    { ...options, settingPrefix: 'rerank', onnxruntimeEntry },
    (candidate) =>
      AutoModelForSequenceClassification.from_pretrained(source, {
        dtype: options.dtype,
        device: candidate,
        local_files_only: local,
        ...(options.threads === undefined ? {} : { session_options: { intraOpNumThreads: options.threads } }),
      }),
  );
  const config = local ? await readModelJson(join(source, 'config.json')) : model.config;
  const tokenizerConfig = local ? await readModelJson(join(source, 'tokenizer_config.json')) : tokenizer.config;
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

const onnxruntimeEntry = (): string => createRequire(import.meta.url).resolve('onnxruntime-node');
