import type { OutlineBlock } from './outline.js';
import { touchedBlocks } from './provenance.js';
import type { Range } from './segment.js';
import { lines, sentenceStarts, wordStarts } from './segment.js';
import type { RangeCounter } from './split.js';

export interface OverlapRequest {
  /** The previous chunk's own text (without the overlap it took from its predecessor). */
  previous: Range;
  /** The chunk that receives the overlap. */
  current: Range;
  overlapTokens: number;
  /** The most tokens (special included) the chunk may have once the overlap is added. */
  hardLimit: number;
  overhead: number;
}

/**
 * Where the chunk should start so that it repeats the end of the previous chunk: the earliest natural start
 * (a sentence in prose, a line in code and tables) whose tail is within `overlapTokens` and keeps the chunk
 * within its limit, else the earliest such word start in prose, with the chunk's new token count; undefined when
 * nothing fits. Overlaps never
 * begin inside a heading, nor at the previous chunk's own start (no chunk is swallowed by the next).
 */
export function overlapStart(
  text: string,
  blocks: readonly OutlineBlock[],
  request: OverlapRequest,
  currentTokens: number,
  count: RangeCounter,
): { start: number; tokens: number } | undefined {
  const { previous, current, overhead } = request;
  // Tail sizes are counted (they are short); the whole chunk is estimated by adding the tail to the chunk's own
  // count, and counted only for the position finally chosen.
  const budget = Math.min(request.overlapTokens, request.hardLimit - currentTokens);
  if (budget <= 0) return undefined;
  const fits = (position: number): boolean => count(position, previous.end) - overhead <= budget;
  const natural: number[] = [];
  const words: number[] = [];
  for (const { block } of touchedBlocks(blocks, previous.start, previous.end)) {
    const part = {
      start: Math.max(previous.start, block.provenance.charStart),
      end: Math.min(previous.end, block.provenance.charEnd),
    };
    if (block.kind === 'code' || block.kind === 'table') {
      natural.push(...lines(text, part, true).map((line) => line.start));
    } else if (block.kind !== 'heading') {
      natural.push(...sentenceStarts(text, part));
      words.push(...wordStarts(text, part));
    }
  }
  const inside = (position: number): boolean => position > previous.start && position < previous.end;
  const starts = natural.filter(inside);
  const first = earliestFitting(starts, fits);
  const chosen = settle(starts, first, current.end, request.hardLimit, count);
  if (chosen !== undefined) return chosen;
  // No sentence (or line) fits: words, but only after the last natural start found too long.
  const tooLong = starts[first - 1] ?? previous.start;
  const wordStartsAfter = words.filter((position) => inside(position) && position > tooLong);
  return settle(wordStartsAfter, earliestFitting(wordStartsAfter, fits), current.end, request.hardLimit, count);
}

/** From the earliest fitting candidate on, the first whose whole chunk is within the limit by exact count. */
function settle(
  candidates: readonly number[],
  from: number,
  end: number,
  hardLimit: number,
  count: RangeCounter,
): { start: number; tokens: number } | undefined {
  for (let index = from; index < candidates.length; index += 1) {
    const position = candidates[index] as number;
    const tokens = count(position, end);
    if (tokens <= hardLimit) return { start: position, tokens };
  }
  return undefined;
}

/**
 * Index of the earliest position that fits (candidates.length when none), assuming later positions (shorter
 * tails) fit whenever earlier ones do. Gallops back from the end first, so mostly short tails are counted.
 */
function earliestFitting(positions: readonly number[], fits: (position: number) => boolean): number {
  let hi = positions.length;
  let lo = -1;
  for (let step = 1; hi - step >= 0; step *= 2) {
    const probe = hi - step;
    if (fits(positions[probe] as number)) hi = probe;
    else {
      lo = probe;
      break;
    }
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (fits(positions[mid] as number)) hi = mid;
    else lo = mid;
  }
  return hi;
}
