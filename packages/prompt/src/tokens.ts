import { createRequire } from 'node:module';
import type { ChatMessage, TokenCounter } from '@winnow/core';
import { WinnowError } from '@winnow/core';
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';

export type TiktokenEncodingName = 'o200k_base' | 'cl100k_base' | 'p50k_base' | 'r50k_base';

const ENCODINGS: readonly TiktokenEncodingName[] = ['o200k_base', 'cl100k_base', 'p50k_base', 'r50k_base'];

/** OpenAI model name prefixes and their encodings; the first match wins, so longer prefixes come first. */
const MODEL_PREFIXES: readonly (readonly [string, TiktokenEncodingName])[] = [
  ['gpt-4o', 'o200k_base'],
  ['gpt-4.1', 'o200k_base'],
  ['gpt-4.5', 'o200k_base'],
  ['gpt-5', 'o200k_base'],
  ['chatgpt-4o', 'o200k_base'],
  ['gpt-oss', 'o200k_base'],
  ['o1', 'o200k_base'],
  ['o3', 'o200k_base'],
  ['o4', 'o200k_base'],
  ['gpt-4', 'cl100k_base'],
  ['gpt-3.5', 'cl100k_base'],
  ['gpt-35', 'cl100k_base'],
  ['text-embedding-3', 'cl100k_base'],
  ['text-embedding-ada-002', 'cl100k_base'],
  ['davinci-002', 'cl100k_base'],
  ['babbage-002', 'cl100k_base'],
];

/**
 * The tiktoken encoding of an OpenAI model (e.g. `gpt-4o-mini` → o200k_base, `gpt-4` → cl100k_base), or of an
 * encoding name given directly. A provider prefix (`openai/gpt-4o`) is ignored. Unknown names are an error:
 * counting with the wrong tokenizer would silently break the budget.
 */
export function encodingForModel(model: string, setting = 'generate.model'): TiktokenEncodingName {
  const name = (model.split('/').pop() ?? model).trim().toLowerCase();
  const direct = ENCODINGS.find((encoding) => encoding === name);
  if (direct !== undefined) return direct;
  const match = MODEL_PREFIXES.find(([prefix]) => name.startsWith(prefix));
  if (match !== undefined) return match[1];
  throw new WinnowError('E_CONFIG_INVALID', `no tiktoken encoding is known for model "${model}"`, {
    setting,
    hint: `name an encoding (${ENCODINGS.join(', ')}) or pass a TokenCounter built from the model's own tokenizer`,
  });
}

// Building an encoder parses a few MB of ranks (over a second for o200k_base), so each is built once per process.
const encoders = new Map<TiktokenEncodingName, Tiktoken>();
// The ranks ship as CommonJS modules inside js-tiktoken; requiring them lazily loads only the encodings used.
const requireRanks = createRequire(import.meta.url);

function encoderFor(encoding: TiktokenEncodingName): Tiktoken {
  let encoder = encoders.get(encoding);
  if (encoder === undefined) {
    const ranks = requireRanks(`js-tiktoken/ranks/${encoding}`) as TiktokenBPE;
    encoder = new Tiktoken(ranks);
    encoders.set(encoding, encoder);
  }
  return encoder;
}

export interface TiktokenCounter extends TokenCounter {
  readonly encoding: TiktokenEncodingName;
  /** The token ids, for tests and debugging. */
  encode(text: string): number[];
}

/**
 * A TokenCounter for OpenAI models, offline (the ranks are bundled in js-tiktoken). Text that looks like a
 * special token (`<|endoftext|>`) is counted as ordinary text, which is how the API treats message content.
 */
export function createTiktokenCounter(model: string, setting = 'generate.model'): TiktokenCounter {
  const encoding = encodingForModel(model, setting);
  const encoder = encoderFor(encoding);
  const encode = (text: string) => encoder.encode(text, [], []);
  return {
    id: `tiktoken:${encoding}`,
    encoding,
    encode,
    count: (text) => encode(text).length,
  };
}

/** The framing a chat format adds around messages, in tokens. */
export interface ChatFormatOverhead {
  /** Per message, besides its role and content (`<|start|>`, `<|message|>`, `<|end|>`). */
  tokensPerMessage: number;
  /** Once per prompt: the primed start of the assistant's reply (`<|start|>assistant<|message|>`). */
  replyPriming: number;
}

/** OpenAI's documented chat overhead for gpt-3.5-turbo, gpt-4 and gpt-4o models ("How to count tokens"). */
export const OPENAI_CHAT_OVERHEAD: ChatFormatOverhead = { tokensPerMessage: 3, replyPriming: 3 };

/**
 * Tokens of a chat prompt as the model receives it: each message's role and content plus the format's
 * per-message framing, plus the primed reply. With OPENAI_CHAT_OVERHEAD and the model's tiktoken counter this
 * matches the `prompt_tokens` OpenAI reports.
 */
export function countChatTokens(
  messages: readonly ChatMessage[],
  counter: TokenCounter,
  overhead: ChatFormatOverhead = OPENAI_CHAT_OVERHEAD,
): number {
  let tokens = overhead.replyPriming;
  for (const message of messages) {
    tokens += overhead.tokensPerMessage + counter.count(message.role) + counter.count(message.content);
  }
  return tokens;
}
