import type { TokenCounter } from '@winnow/core';
import { loadTokenizer } from './load.js';
import { SequenceEncoder } from './sequence.js';

export interface TokenCounterOptions {
  /** A folder of model folders; default the WINNOW_MODELS environment variable. */
  modelsDir?: string;
}

/**
 * A TokenCounter over a model's own tokenizer, special tokens included and nothing truncated, so a chunker can
 * size chunks in the embedding model's tokens. Loads only the tokenizer.
 */
export async function createTokenCounter(modelRef: string, options: TokenCounterOptions = {}): Promise<TokenCounter> {
  const { location, tokenizer } = await loadTokenizer(modelRef, {
    dtype: 'q8',
    modelsDir: options.modelsDir,
    settingPrefix: 'embed',
    tokenizerOnly: true,
  });
  const where = location.kind === 'local' ? location.dir : location.id;
  const id = location.kind === 'local' ? (where.split(/[\\/]/).pop() ?? where) : where;
  // A large limit: counting never truncates.
  const encoder = new SequenceEncoder(tokenizer, Number.MAX_SAFE_INTEGER, where);
  return { id, count: (text) => encoder.count(text) };
}
