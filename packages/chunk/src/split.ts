import { WinnowError } from '@winnow/core';
import {
  codePointCuts,
  graphemeCuts,
  lines,
  paragraphs,
  type Range,
  sentences,
  trimRange,
  wordCuts,
} from './segment.js';

/** How natural a cut before a piece is; the packer prefers cutting at the strongest break. */
export const BREAK = { token: 0, word: 1, sentence: 2, line: 3, paragraph: 4, block: 5, section: 6 } as const;

export interface SplitPart extends Range {
  /** Tokens of the part counted on its own, special tokens included. */
  tokens: number;
  breakBefore: number;
}

/** A way to divide a range: into all its parts (paragraphs, lines, sentences) or at cut positions (words, code points). */
export type SplitLevel =
  | { kind: 'parts'; strength: number; parts: (text: string, range: Range) => Range[] }
  | { kind: 'cuts'; strength: number; cuts: (text: string, range: Range) => number[] };

/** Counts `text.slice(start, end)` in the model's tokens, special tokens included. */
export type RangeCounter = (start: number, end: number) => number;

const PARAGRAPHS: SplitLevel = { kind: 'parts', strength: BREAK.paragraph, parts: (t, r) => paragraphs(t, r) };
const LINES: SplitLevel = { kind: 'parts', strength: BREAK.line, parts: (t, r) => lines(t, r) };
const CODE_LINES: SplitLevel = { kind: 'parts', strength: BREAK.line, parts: (t, r) => lines(t, r, true) };
const SENTENCES: SplitLevel = { kind: 'parts', strength: BREAK.sentence, parts: sentences };
const WORDS: SplitLevel = { kind: 'cuts', strength: BREAK.word, cuts: wordCuts };
const GRAPHEMES: SplitLevel = { kind: 'cuts', strength: BREAK.token, cuts: graphemeCuts };
// Only for a single grapheme cluster longer than a chunk (e.g. hundreds of stacked combining marks).
const CODE_POINTS: SplitLevel = { kind: 'cuts', strength: BREAK.token, cuts: codePointCuts };

/** Finer and finer divisions per block kind: structure first, then sentences, words and finally characters. */
export const LEVELS = {
  paragraph: [PARAGRAPHS, SENTENCES, WORDS, GRAPHEMES, CODE_POINTS],
  heading: [SENTENCES, WORDS, GRAPHEMES, CODE_POINTS],
  list: [PARAGRAPHS, LINES, SENTENCES, WORDS, GRAPHEMES, CODE_POINTS],
  code: [CODE_LINES, WORDS, GRAPHEMES, CODE_POINTS],
  table: [LINES, WORDS, GRAPHEMES, CODE_POINTS],
} as const satisfies Record<string, readonly SplitLevel[]>;

/**
 * Divides a range into parts of at most `limit` tokens each, using the coarsest level that works and going finer
 * only for parts that are still too long. Parts are trimmed of surrounding whitespace; together they cover every
 * non-whitespace character of the range.
 */
export function splitRange(
  text: string,
  range: Range,
  levels: readonly SplitLevel[],
  limit: number,
  count: RangeCounter,
  breakBefore: number,
  knownTokens?: number,
): SplitPart[] {
  const tokens = knownTokens ?? count(range.start, range.end);
  if (tokens <= limit) return [{ ...range, tokens, breakBefore }];
  const [level, ...finer] = levels;
  if (level === undefined) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `a single character (${JSON.stringify(text.slice(range.start, range.end))}) takes ${tokens} tokens, more than the ${limit} a chunk may hold`,
      { setting: 'chunk.maxTokens', hint: 'raise chunk.maxTokens' },
    );
  }
  if (level.kind === 'parts') {
    const parts = level.parts(text, range);
    const [only] = parts;
    if (parts.length <= 1) {
      const same = only === undefined || (only.start === range.start && only.end === range.end);
      return splitRange(text, only ?? range, finer, limit, count, breakBefore, same ? tokens : undefined);
    }
    return parts.flatMap((part, index) =>
      splitRange(text, part, finer, limit, count, index === 0 ? breakBefore : level.strength),
    );
  }
  return splitAtCuts(text, range, level, finer, limit, count, breakBefore);
}

/**
 * Greedy fill: each part runs to the furthest cut that keeps it within the limit. The furthest cut is found by
 * galloping then bisecting over the cut positions (the range's end is the last candidate), starting from the
 * previous part's size, so each part costs a few counts of texts about its size (O(log n) at worst) and the whole
 * range is split in time linear in its length.
 * Token counts are not strictly monotone in the cut position, but every accepted part was counted.
 */
function splitAtCuts(
  text: string,
  range: Range,
  level: Extract<SplitLevel, { kind: 'cuts' }>,
  finer: readonly SplitLevel[],
  limit: number,
  count: RangeCounter,
  breakBefore: number,
): SplitPart[] {
  const cuts = level.cuts(text, range);
  // Candidate i ends a part at cuts[i]; candidate cuts.length ends it at the range's end.
  const endOf = (index: number): number => (index < cuts.length ? (cuts[index] as number) : range.end);
  const out: SplitPart[] = [];
  let position = range.start;
  let next = 0;
  let strength = breakBefore;
  let guess = 1;
  for (;;) {
    const rest = trimRange(text, position, range.end);
    if (rest === undefined) return out;
    position = rest.start;
    while (next < cuts.length && (cuts[next] ?? 0) <= position) next += 1;
    const measured = new Map<number, SplitPart | undefined>();
    const fits = (index: number): boolean => {
      const part = trimRange(text, position, endOf(index));
      const tokens = part === undefined ? Number.POSITIVE_INFINITY : count(part.start, part.end);
      measured.set(
        index,
        part === undefined || tokens > limit ? undefined : { ...part, tokens, breakBefore: strength },
      );
      return measured.get(index) !== undefined;
    };
    // lo: furthest candidate known to fit (next - 1: none); hi: nearest known not to (past the last: unknown).
    // The search starts where the previous part ended in units: parts of one range are mostly alike in size.
    let lo = next - 1;
    let hi = cuts.length + 1;
    const first = Math.min(lo + guess, cuts.length);
    if (fits(first)) {
      lo = first;
      for (let step = 1; lo + step < hi; step *= 2) {
        if (fits(lo + step)) lo += step;
        else {
          hi = lo + step;
          break;
        }
      }
    } else {
      hi = first;
      for (let step = 1; hi - step > lo; step *= 2) {
        if (fits(hi - step)) {
          lo = hi - step;
          break;
        }
        hi -= step;
      }
    }
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
    const part = measured.get(lo);
    if (part !== undefined) {
      guess = Math.max(1, lo - next + 1);
      out.push(part);
      if (lo === cuts.length) return out;
      position = endOf(lo);
    } else {
      // Even the first unit (one word) is too long: divide it more finely.
      const unitEnd = endOf(next);
      const unit = trimRange(text, position, unitEnd) ?? { start: position, end: unitEnd };
      out.push(...splitRange(text, unit, finer, limit, count, strength));
      if (next === cuts.length) return out;
      position = unitEnd;
    }
    strength = level.strength;
  }
}
