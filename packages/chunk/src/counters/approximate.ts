import type { TokenCounter } from '@winnow/core';

/**
 * Scripts written without spaces, where subword tokenizers give about one token per character.
 * Han, Hiragana, Katakana, Hangul, Thai, Lao, Khmer, Myanmar.
 */
const PER_CHARACTER_SCRIPT =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const TOKEN_LIKE = /\p{L}[\p{L}\p{M}]*|\p{N}+|[^\s\p{L}\p{N}]/gu;

export interface ApproximateTokenCounterOptions {
  /** Tokens added to every text, like a BERT model's [CLS] and [SEP]. Default 2. */
  specialTokens?: number;
}

/**
 * A tokenizer-free counter for when no model tokenizer is given. It is deliberately conservative (it counts
 * more tokens than WordPiece/BPE tokenizers of English-trained models usually produce), so chunks sized with it
 * stay within the real model's limit: a letter run costs one token per three characters (a short word one),
 * a digit run one per two digits, each CJK/Thai character and each punctuation mark or symbol one.
 */
export function createApproximateTokenCounter(options: ApproximateTokenCounterOptions = {}): TokenCounter {
  const specialTokens = options.specialTokens ?? 2;
  return {
    id: `approximate-v1+${specialTokens}`,
    count(text: string): number {
      let tokens = specialTokens;
      for (const match of text.matchAll(TOKEN_LIKE)) {
        const run = match[0];
        if (PER_CHARACTER_SCRIPT.test(run)) tokens += countPerCharacter(run);
        else if (/^\p{N}/u.test(run)) tokens += Math.ceil(run.length / 2);
        else tokens += Math.ceil(run.length / 3);
      }
      return tokens;
    },
  };
}

/** A letter run may mix scripts (e.g. kanji followed by Latin): per-character scripts count per code point. */
function countPerCharacter(run: string): number {
  let tokens = 0;
  let latinLength = 0;
  for (const character of run) {
    if (PER_CHARACTER_SCRIPT.test(character)) {
      tokens += 1 + Math.ceil(latinLength / 3);
      latinLength = 0;
    } else {
      latinLength += 1;
    }
  }
  return tokens + Math.ceil(latinLength / 3);
}
