import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { WinnowError } from '@winnow/core';

/**
 * Builds model inputs from a tokenizer without transformers.js' own truncation, which cuts after the special
 * tokens are added and so drops the final [SEP]: the content is cut first, then the tokenizer's own special
 * tokens are put around it, as sentence-transformers does.
 */
export interface SequenceTemplate {
  /** Special ids before the content, e.g. [CLS]. */
  prefix: number[];
  /** Special ids after the content, e.g. [SEP]. */
  suffix: number[];
}

export interface EncodedSequence {
  ids: number[];
  truncated: boolean;
}

/** Learns where the tokenizer puts its special tokens by encoding a probe text with and without them. */
export function sequenceTemplate(tokenizer: PreTrainedTokenizer, where: string): SequenceTemplate {
  const probe = 'hello world';
  const content = tokenizer.encode(probe, { add_special_tokens: false });
  const full = tokenizer.encode(probe);
  const at = indexOfRun(full, content);
  if (at < 0 || content.length === 0) {
    throw new WinnowError('E_MODEL_LOAD', 'cannot tell where the tokenizer adds its special tokens', {
      file: `${where}/tokenizer.json`,
    });
  }
  return { prefix: full.slice(0, at), suffix: full.slice(at + content.length) };
}

export class SequenceEncoder {
  readonly template: SequenceTemplate;
  /** Content tokens that fit beside the special tokens. */
  readonly contentBudget: number;

  constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    readonly maxTokens: number,
    where: string,
  ) {
    this.template = sequenceTemplate(tokenizer, where);
    this.contentBudget = maxTokens - this.template.prefix.length - this.template.suffix.length;
    if (this.contentBudget < 1) {
      throw new WinnowError('E_CONFIG_INVALID', `maxTokens ${maxTokens} leaves no room beside the special tokens`, {
        field: 'maxTokens',
        file: where,
      });
    }
  }

  /** Token count as the model would see the whole text (special tokens included, nothing cut). */
  count(text: string): number {
    return this.tokenizer.encode(text, { add_special_tokens: false }).length + this.specialCount;
  }

  get specialCount(): number {
    return this.template.prefix.length + this.template.suffix.length;
  }

  encode(text: string): EncodedSequence {
    const content = this.tokenizer.encode(text, { add_special_tokens: false });
    const truncated = content.length > this.contentBudget;
    const kept = truncated ? content.slice(0, this.contentBudget) : content;
    return { ids: [...this.template.prefix, ...kept, ...this.template.suffix], truncated };
  }
}

function indexOfRun(haystack: readonly number[], needle: readonly number[]): number {
  outer: for (let start = 0; start + needle.length <= haystack.length; start += 1) {
    for (let offset = 0; offset < needle.length; offset += 1) {
      if (haystack[start + offset] !== needle[offset]) continue outer;
    }
    return start;
  }
  return -1;
}
