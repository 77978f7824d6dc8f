import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { type ResolveModelOptions, resolveModel, type TokenCounter, WinnowError } from '@winnow/core';

export interface TransformersTokenCounterOptions extends ResolveModelOptions {
  /** The setting that named the model, for error messages. Default `embed.model`. */
  setting?: string;
}

/** A counter backed by a model's own tokenizer; `countMany` is the batch form. */
export interface ModelTokenCounter extends TokenCounter {
  /** The tokenizer's `model_max_length` (the model truncates beyond it), when the folder states one. */
  readonly modelMaxLength: number | undefined;
  countMany(texts: readonly string[]): number[];
}

// One tokenizer per folder or hub id, shared by every counter in the process: loading parses a large JSON file.
const tokenizers = new Map<string, Promise<PreTrainedTokenizer>>();
// transformers.js reads its model location from a global `env`; this module's loads are serialised so that one
// load's settings are never seen by another, and the previous settings are restored afterwards.
let loadQueue: Promise<unknown> = Promise.resolve();

/**
 * Counts tokens with the tokenizer of a model folder (or hub id, when no local folder matches), special tokens
 * included, exactly as the model will see the text: `count('')` is 2 for BERT-style models ([CLS] and [SEP]).
 */
export async function createTransformersTokenCounter(
  modelReference: string,
  options: TransformersTokenCounterOptions = {},
): Promise<ModelTokenCounter> {
  const setting = options.setting ?? 'embed.model';
  const location = resolveModel(modelReference, options);
  const key = location.kind === 'local' ? location.dir : `hub:${location.id}`;
  if (location.kind === 'local' && !existsSync(join(location.dir, 'tokenizer.json'))) {
    throw new WinnowError('E_MODEL_NOT_FOUND', 'the model folder has no tokenizer.json', {
      file: location.dir,
      setting,
      hint: 'point the setting at a transformers.js model folder (tokenizer.json and tokenizer_config.json)',
    });
  }
  let pending = tokenizers.get(key);
  if (pending === undefined) {
    pending =
      location.kind === 'local'
        ? serialised(() => loadLocal(location.dir))
        : serialised(() => AutoTokenizer.from_pretrained(location.id));
    tokenizers.set(key, pending);
    pending.catch(() => tokenizers.delete(key));
  }
  let tokenizer: PreTrainedTokenizer;
  try {
    tokenizer = await pending;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new WinnowError('E_MODEL_LOAD', `the tokenizer could not be loaded: ${message}`, {
      file: location.kind === 'local' ? location.dir : location.id,
      setting,
      cause: error,
    });
  }
  const id = location.kind === 'local' ? basename(location.dir) : location.id;
  return wrapTokenizer(id, tokenizer);
}

function wrapTokenizer(id: string, tokenizer: PreTrainedTokenizer): ModelTokenCounter {
  const maxLength = (tokenizer as { model_max_length?: unknown }).model_max_length;
  const count = (text: string): number => tokenizer.encode(text).length;
  return {
    id,
    modelMaxLength: typeof maxLength === 'number' && Number.isFinite(maxLength) ? maxLength : undefined,
    count,
    countMany: (texts) => texts.map(count),
  };
}

async function loadLocal(dir: string): Promise<PreTrainedTokenizer> {
  const ours = { allowRemoteModels: false, allowLocalModels: true, localModelPath: `${dirname(dir)}/` };
  const saved = {
    allowRemoteModels: env.allowRemoteModels,
    allowLocalModels: env.allowLocalModels,
    localModelPath: env.localModelPath,
  };
  Object.assign(env, ours);
  try {
    return await AutoTokenizer.from_pretrained(basename(dir));
  } finally {
    // Put back what was there, unless other code has set its own values meanwhile.
    for (const key of Object.keys(ours) as (keyof typeof ours)[]) {
      if (env[key] === ours[key]) Object.assign(env, { [key]: saved[key] });
    }
  }
}

function serialised<T>(load: () => Promise<T>): Promise<T> {
  const run = loadQueue.then(load, load);
  loadQueue = run.catch(() => undefined);
  return run;
}
