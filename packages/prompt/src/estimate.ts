import type { TokenCounter } from '@winnow/core';
import { neutraliseSourceText, SOURCE_FOOTER, SOURCE_SEPARATOR, sourceOpenTag } from './render.js';
import type { PackedSource } from './sources.js';

/**
 * Estimates the tokens of a rendered context from per-source counts cached by the source's chunks, so packing
 * does not re-tokenize the whole prompt for every candidate. Each source is counted in two parts split where
 * BPE tokenizers do not merge across: the opening tag up to its last quote, and `">` + text + closing tag +
 * separator (punctuation and the newlines after it form one pre-token). The label is counted as `1` whatever
 * it is, so a source's count survives reordering. The packer decides near the budget with exact counts.
 */
export class ContextEstimator {
  private readonly counts = new Map<string, number>();
  /** Special tokens the counter adds to every text (e.g. [CLS] and [SEP]); they appear once per prompt. */
  private readonly perCall: number;

  constructor(private readonly counter: TokenCounter) {
    this.perCall = counter.count('');
  }

  contextTokens(sources: readonly PackedSource[]): number {
    let tokens = 0;
    for (const source of sources) {
      const key = source.chunkIds.join('\u0000');
      let sourceTokens = this.counts.get(key);
      if (sourceTokens === undefined) {
        const openTag = sourceOpenTag({ ...source, label: 1 });
        sourceTokens =
          this.countPart(openTag.slice(0, -1)) +
          this.countPart(`">\n${neutraliseSourceText(source.text)}${SOURCE_FOOTER}${SOURCE_SEPARATOR}`);
        this.counts.set(key, sourceTokens);
      }
      tokens += sourceTokens;
    }
    return tokens;
  }

  /**
   * How far an estimate may be from the exact count before the packer must count exactly: a few tokens for
   * the context's edges, one per eight sources for part boundaries that do merge (a URI ending in `/`).
   */
  static tolerance(sourceCount: number): number {
    return 8 + Math.ceil(sourceCount / 8);
  }

  private countPart(text: string): number {
    return Math.max(0, this.counter.count(text) - this.perCall);
  }
}
