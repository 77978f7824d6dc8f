import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
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
  const wordwise = local && splitsOnWhitespace(join(source, 'tokenizer.json'));
  return wrapTokenizer(local ? basename(source) : source, await pending, wordwise);
}

/**
 * Whether no token of this tokenizer spans ASCII whitespace, so a text's count is the sum of its words' counts:
 * BERT's normaliser works character by character, its pre-tokenizer splits at whitespace before WordPiece, and no
 * added token holds a space. Other tokenizers (byte-level BPE keeps the space in the next token) are counted whole.
 */
function splitsOnWhitespace(tokenizerJson: string): boolean {
  let config: {
    normalizer?: { type?: string } | null;
    pre_tokenizer?: { type?: string } | null;
    model?: { type?: string };
    added_tokens?: { content?: string }[];
  };
  try {
    config = JSON.parse(readFileSync(tokenizerJson, 'utf8'));
  } catch {
    return false;
  }
  return (
    config.normalizer?.type === 'BertNormalizer' &&
    config.pre_tokenizer?.type === 'BertPreTokenizer' &&
    config.model?.type === 'WordPiece' &&
    (config.added_tokens ?? []).every((token) => !/\s/u.test(token.content ?? ''))
  );
}

/** Words counted so far; cleared when full, so memory stays bounded on any input. */
const MEMO_LIMIT = 200_000;
const ASCII_WHITESPACE = /[ \t\n\r]+/;

function wrapTokenizer(id: string, tokenizer: PreTrainedTokenizer, wordwise: boolean): ModelTokenCounter {
  const maxLength = (tokenizer as { model_max_length?: unknown }).model_max_length;
  const encode = (text: string): number => tokenizer.encode(text).length;
  let count = encode;
  if (wordwise) {
    // Chunking counts the same words many times over (every candidate cut re-counts a part): a word's count is
    // kept, which makes counting a long text a map lookup per word instead of a tokenizer pass.
    const special = encode('');
    const memo = new Map<string, number>();
    count = (text: string): number => {
      let tokens = special;
      for (const word of text.split(ASCII_WHITESPACE)) {
        if (word.length === 0) continue;
        let own = memo.get(word);
        if (own === undefined) {
          own = encode(word) - special;
          if (memo.size >= MEMO_LIMIT) memo.clear();
          memo.set(word, own);
        }
        tokens += own;
      }
      return tokens;
    };
  }
  return {
    id,
    modelMaxLength: typeof maxLength === 'number' && Number.isFinite(maxLength) ? maxLength : undefined,
    count,
    countMany: (texts) => texts.map(count),
  };
}
