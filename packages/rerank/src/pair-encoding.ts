import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { WinnowError } from '@winnow/core';

/**
 * (query, passage) inputs built here rather than by transformers.js, whose truncation cuts the encoded pair at
 * the limit and so drops the final [SEP] the model was trained with. The passage is cut first, then the
 * tokenizer's own special tokens go around both parts: `[CLS] query [SEP] passage [SEP]` for BERT.
 */
interface SpecialRun {
  ids: number[];
  types: number[];
}

export interface PairTemplate {
  prefix: SpecialRun;
  middle: SpecialRun;
  suffix: SpecialRun;
  queryType: number;
  passageType: number;
}

export interface EncodedPair {
  ids: number[];
  typeIds: number[];
  truncated: boolean;
}

interface PairEncoding {
  input_ids: number[];
  token_type_ids?: number[];
}

/** Learns the tokenizer's pair layout (special ids and token types) from one probe pair. */
export function pairTemplate(tokenizer: PreTrainedTokenizer, where: string): PairTemplate {
  const query = tokenizer.encode('hello', { add_special_tokens: false });
  const passage = tokenizer.encode('world', { add_special_tokens: false });
  const full = tokenizer('hello', { text_pair: 'world', return_tensor: false }) as unknown as PairEncoding;
  const ids = full.input_ids;
  const types = full.token_type_ids ?? ids.map(() => 0);
  const q = indexOfRun(ids, query, 0);
  const p = q < 0 ? -1 : indexOfRun(ids, passage, q + query.length);
  if (q < 0 || p < 0) {
    throw new WinnowError('E_MODEL_LOAD', 'cannot tell how the tokenizer lays out a (query, passage) pair', {
      file: `${where}/tokenizer.json`,
    });
  }
  const run = (start: number, end: number): SpecialRun => ({
    ids: ids.slice(start, end),
    types: types.slice(start, end),
  });
  return {
    prefix: run(0, q),
    middle: run(q + query.length, p),
    suffix: run(p + passage.length, ids.length),
    queryType: types[q] ?? 0,
    passageType: types[p] ?? 0,
  };
}

export class PairEncoder {
  private readonly template: PairTemplate;
  /** Room for query and passage tokens together. */
  private readonly contentBudget: number;

  constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    readonly maxTokens: number,
    where: string,
  ) {
    this.template = pairTemplate(tokenizer, where);
    const { prefix, middle, suffix } = this.template;
    this.contentBudget = maxTokens - prefix.ids.length - middle.ids.length - suffix.ids.length;
    if (this.contentBudget < 2) {
      throw new WinnowError('E_CONFIG_INVALID', `maxTokens ${maxTokens} leaves no room for query and passage`, {
        field: 'rerank.maxTokens',
      });
    }
  }

  encodeQuery(query: string): number[] {
    return this.tokenizer.encode(query, { add_special_tokens: false });
  }

  /**
   * Cuts the passage first; only a query so long that the passage would keep less than half the room is cut
   * too, so a pair always shows the model some of the passage.
   */
  encode(queryIds: readonly number[], passage: string): EncodedPair {
    const passageIds = this.tokenizer.encode(passage, { add_special_tokens: false });
    const budget = this.contentBudget;
    let queryKeep = queryIds.length;
    let passageKeep = passageIds.length;
    if (queryKeep + passageKeep > budget) {
      passageKeep = Math.max(budget - queryKeep, Math.min(passageIds.length, Math.floor(budget / 2)));
      queryKeep = budget - passageKeep;
    }
    const { prefix, middle, suffix, queryType, passageType } = this.template;
    const ids = [
      ...prefix.ids,
      ...queryIds.slice(0, queryKeep),
      ...middle.ids,
      ...passageIds.slice(0, passageKeep),
      ...suffix.ids,
    ];
    const typeIds = [
      ...prefix.types,
      ...new Array<number>(queryKeep).fill(queryType),
      ...middle.types,
      ...new Array<number>(passageKeep).fill(passageType),
      ...suffix.types,
    ];
    return { ids, typeIds, truncated: queryKeep < queryIds.length || passageKeep < passageIds.length };
  }
}

function indexOfRun(haystack: readonly number[], needle: readonly number[], from: number): number {
  outer: for (let start = from; start + needle.length <= haystack.length; start += 1) {
    for (let offset = 0; offset < needle.length; offset += 1) {
      if (haystack[start + offset] !== needle[offset]) continue outer;
    }
    return start;
  }
  return -1;
}
