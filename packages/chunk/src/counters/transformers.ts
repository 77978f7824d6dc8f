import { basename } from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import {
  loadModelTokenizer,
  modelSource,
  type ResolveModelOptions,
  resolveModel,
  type TokenCounter,
} from '@winnow/core';

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

/**
 * Counts tokens with the tokenizer of a model folder (or hub id, when no local folder matches), special tokens
 * included, exactly as the model will see the text: `count('')` is 2 for BERT-style models ([CLS] and [SEP]).
 * Only the tokenizer files are needed; a missing folder or file is E_MODEL_NOT_FOUND, a broken one E_MODEL_LOAD.
 */
export async function createTransformersTokenCounter(
  modelReference: string,
  options: TransformersTokenCounterOptions = {},
): Promise<ModelTokenCounter> {
  const setting = options.setting ?? 'embed.model';
  const location = resolveModel(modelReference, options);
  const { source, local } = modelSource(location);
  const key = local ? source : `hub:${source}`;
  let pending = tokenizers.get(key);
  if (pending === undefined) {
    // dtype only shapes the hub error's list of files; a token counter needs the tokenizer alone.
    pending = loadModelTokenizer(location, { dtype: 'q8', setting, tokenizerOnly: true }, (from, fromOptions) =>
      AutoTokenizer.from_pretrained(from, fromOptions),
    );
    tokenizers.set(key, pending);
    pending.catch(() => tokenizers.delete(key));
  }
  return wrapTokenizer(local ? basename(source) : source, await pending);
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
