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
 * within its limit, else the earliest such word start in prose; undefined when nothing fits. Overlaps never
 * begin inside a heading, nor at the previous chunk's own start (no chunk is swallowed by the next).
 */
export function overlapStart(
  text: string,
  blocks: readonly OutlineBlock[],
  request: OverlapRequest,
  count: RangeCounter,
): number | undefined {
  const { previous, current } = request;
  const fits = (position: number): boolean =>
    count(position, previous.end) - request.overhead <= request.overlapTokens &&
    count(position, current.end) <= request.hardLimit;
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
  return earliestFitting(natural.filter(inside), fits) ?? earliestFitting(words.filter(inside), fits);
}

/** Bisection over ascending positions, assuming later positions (shorter tails) fit whenever earlier ones do. */
function earliestFitting(positions: readonly number[], fits: (position: number) => boolean): number | undefined {
  let lo = -1;
  let hi = positions.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (fits(positions[mid] as number)) hi = mid;
    else lo = mid;
  }
  return positions[hi];
}
