import type { Outline } from './outline.js';
import type { Range } from './segment.js';
import { trimRange } from './segment.js';
import { BREAK, LEVELS, type RangeCounter, splitRange } from './split.js';

/** The smallest unit the packer moves: a whole block, or a part of one too long to fit a chunk. */
export interface Piece extends Range {
  /** Content tokens: the piece's own count less the tokenizer's special tokens. */
  tokens: number;
  breakBefore: number;
  heading: boolean;
  group: number;
  /** Index into the outline's blocks. */
  block: number;
  /** The most tokens (special included) a chunk holding this piece may have: maxTokens less its context prefix. */
  hardLimit: number;
}

export interface PieceLimits {
  targetTokens: number;
  maxTokens: number;
  /** Special tokens the counter adds to every text. */
  overhead: number;
  /** Content tokens of the context prefix a block's chunk will carry (0 when not contextual). */
  prefixTokens: (block: number) => number;
}

/**
 * Turns each block into pieces. Prose is cut to at most `targetTokens` so the packer can aim at the target;
 * code and tables stay whole up to the hard maximum (a chunk of their own if they must) and are cut on line
 * boundaries beyond it.
 */
export async function buildPieces(
  text: string,
  outline: Outline,
  limits: PieceLimits,
  count: RangeCounter,
  checkpoint: () => Promise<void>,
): Promise<Piece[]> {
  const pieces: Piece[] = [];
  for (const [index, entry] of outline.blocks.entries()) {
    await checkpoint();
    const { block } = entry;
    const range = trimRange(text, block.provenance.charStart, block.provenance.charEnd, block.kind === 'code');
    if (range === undefined) continue;
    const hardLimit = limits.maxTokens - limits.prefixTokens(index);
    const atomic = block.kind === 'code' || block.kind === 'table';
    const limit = atomic ? hardLimit : Math.min(limits.targetTokens, hardLimit);
    const heading = block.kind === 'heading';
    const breakBefore = heading ? BREAK.section : BREAK.block;
    for (const part of splitRange(text, range, LEVELS[block.kind], limit, count, breakBefore)) {
      pieces.push({
        start: part.start,
        end: part.end,
        tokens: part.tokens - limits.overhead,
        breakBefore: part.breakBefore,
        heading,
        group: entry.group,
        block: index,
        hardLimit,
      });
    }
  }
  return pieces;
}
