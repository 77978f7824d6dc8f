import {
  chunkConfigSchema,
  type PipelineConfig,
  type PipelineConfigInput,
  type TokenCounter,
  WinnowError,
} from '@winnow/core';

export type ChunkSettings = PipelineConfig['chunk'];
export type ChunkSettingsInput = NonNullable<PipelineConfigInput['chunk']>;

/** Options of `createChunker`: the `chunk` section of the configuration plus the token counter. */
export interface ChunkerOptions extends ChunkSettingsInput {
  /** Counts in the embedding model's tokens; without one an approximate, conservative counter is used. */
  tokenCounter?: TokenCounter;
}

/** The fewest content tokens `maxTokens` must leave after the tokenizer's special tokens. */
export const MIN_CONTENT_TOKENS = 8;

/** Validates the settings with core's schema; errors name the `chunk.<field>` at fault. */
export function parseChunkSettings(input: ChunkSettingsInput): ChunkSettings {
  const result = chunkConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = ['chunk', ...(issue?.path ?? []).map(String)].join('.');
  throw new WinnowError('E_CONFIG_INVALID', issue?.message ?? 'invalid chunk settings', {
    field,
    details: { issues: result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) },
  });
}

/** Checks that the limits leave room for text once the counter's special tokens are taken. */
export function checkAgainstCounter(settings: ChunkSettings, counter: TokenCounter, overhead: number): void {
  if (settings.maxTokens - overhead < MIN_CONTENT_TOKENS) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `${settings.maxTokens} leaves fewer than ${MIN_CONTENT_TOKENS} tokens for text after the ${overhead} special tokens of tokenizer ${counter.id}`,
      { field: 'chunk.maxTokens' },
    );
  }
  if (settings.targetTokens <= overhead) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `${settings.targetTokens} leaves no tokens for text after the ${overhead} special tokens of tokenizer ${counter.id}`,
      { field: 'chunk.targetTokens' },
    );
  }
}
