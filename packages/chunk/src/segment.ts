/**
 * Text segmentation over ranges of one string (a document's normalised text): every function takes and
 * returns absolute offsets, so pieces can always be sliced back out of the document.
 */

export interface Range {
  start: number;
  end: number;
}

const sentenceSegmenter = new Intl.Segmenter(undefined, { granularity: 'sentence' });
const wordSegmenter = new Intl.Segmenter(undefined, { granularity: 'word' });
const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const WHITESPACE = /\s/u;

function isSpace(text: string, index: number): boolean {
  const character = text[index];
  return character !== undefined && WHITESPACE.test(character);
}

/**
 * Shrinks a range to exclude surrounding whitespace; undefined when nothing else is left.
 * With `keepIndent`, leading spaces of the first non-blank line stay (code indentation means something).
 */
export function trimRange(text: string, start: number, end: number, keepIndent = false): Range | undefined {
  let first = start;
  while (first < end && isSpace(text, first)) first += 1;
  if (first === end) return undefined;
  if (keepIndent) {
    let lineStart = first;
    while (lineStart > start && text[lineStart - 1] !== '\n' && isSpace(text, lineStart - 1)) lineStart -= 1;
    first = lineStart;
  }
  let last = end;
  while (last > first && isSpace(text, last - 1)) last -= 1;
  return { start: first, end: last };
}

/** Non-blank parts of a range between separators matched by `separator` (a global regex). */
function splitBy(text: string, range: Range, separator: RegExp, keepIndent: boolean): Range[] {
  const parts: Range[] = [];
  const slice = text.slice(range.start, range.end);
  let from = 0;
  for (const match of slice.matchAll(separator)) {
    const part = trimRange(text, range.start + from, range.start + match.index, keepIndent);
    if (part) parts.push(part);
    from = match.index + match[0].length;
  }
  const tail = trimRange(text, range.start + from, range.end, keepIndent);
  if (tail) parts.push(tail);
  return parts;
}

/** Paragraphs inside a block: parts separated by blank lines. */
export function paragraphs(text: string, range: Range, keepIndent = false): Range[] {
  return splitBy(text, range, /\n[^\S\n]*\n/g, keepIndent);
}

/** Non-blank lines. */
export function lines(text: string, range: Range, keepIndent = false): Range[] {
  return splitBy(text, range, /\n/g, keepIndent);
}

/**
 * V8's `Intl.Segmenter` spends time proportional to the whole string on every segment it returns, so one pass
 * over a long single-line text is quadratic (a 128 KiB line took seconds, 5 MiB never finished). Segments are
 * therefore read through short windows; a window's last segments are read again at the start of the next one,
 * so every boundary kept was decided with at least `LOOKAHEAD` characters of context after it.
 */
const WINDOW = 2048;
const LOOKAHEAD = 32;

interface SegmentAt {
  /** Absolute offset of the segment's start. */
  start: number;
  end: number;
  isWordLike: boolean;
}

/** Segments of a range, in order, read window by window (linear in the range's length). */
export function* segmentsOf(segmenter: Intl.Segmenter, text: string, range: Range): Generator<SegmentAt> {
  let position = range.start;
  let size = WINDOW;
  while (position < range.end) {
    const windowEnd = Math.min(range.end, position + size);
    const last = windowEnd === range.end;
    // Only boundaries this far from the window's end are trusted (or any, when the window reaches the range end).
    const trusted = last ? windowEnd : windowEnd - LOOKAHEAD;
    let advanced = false;
    const base = position;
    for (const segment of segmenter.segment(text.slice(base, windowEnd))) {
      const start = base + segment.index;
      const end = start + segment.segment.length;
      if (end > trusted) break;
      yield { start, end, isWordLike: segment.isWordLike === true };
      advanced = true;
      position = end;
      // A window grown for one long segment holds many more after it: each costs the window's length, so stop.
      if (size > WINDOW) break;
    }
    if (last && position >= windowEnd) return;
    size = advanced ? WINDOW : size * 2;
  }
}

/** Sentences by Unicode sentence boundaries (UAX #29, as ICU implements them in `Intl.Segmenter`). */
export function sentences(text: string, range: Range): Range[] {
  const parts: Range[] = [];
  for (const segment of segmentsOf(sentenceSegmenter, text, range)) {
    const part = trimRange(text, segment.start, segment.end);
    if (part) parts.push(part);
  }
  return parts;
}

/**
 * Positions inside a range where a cut between words is natural: before a word (UAX #29 word boundaries, so
 * CJK text without spaces is split between dictionary words too) or before anything that follows whitespace.
 */
export function wordCuts(text: string, range: Range): number[] {
  const cuts: number[] = [];
  for (const segment of segmentsOf(wordSegmenter, text, range)) {
    const position = segment.start;
    if (position === range.start) continue;
    if (isSpace(text, position)) continue;
    if (segment.isWordLike || isSpace(text, position - 1)) cuts.push(position);
  }
  return cuts;
}

/** Every user-perceived character boundary inside a range (an accent stays with its letter, an emoji whole). */
export function graphemeCuts(text: string, range: Range): number[] {
  const cuts: number[] = [];
  for (const segment of segmentsOf(graphemeSegmenter, text, range)) {
    if (segment.start > range.start) cuts.push(segment.start);
  }
  return cuts;
}

/** Every code point boundary inside a range (the very last resort: never inside a surrogate pair). */
export function codePointCuts(text: string, range: Range): number[] {
  const cuts: number[] = [];
  let position = range.start;
  while (position < range.end) {
    const codePoint = text.codePointAt(position) ?? 0;
    position += codePoint > 0xffff ? 2 : 1;
    if (position < range.end) cuts.push(position);
  }
  return cuts;
}

/** Positions where a sentence starts inside a range (for overlaps that begin at a sentence). */
export function sentenceStarts(text: string, range: Range): number[] {
  return sentences(text, range).map((part) => part.start);
}

/** Positions where a word starts inside a range, ascending. */
export function wordStarts(text: string, range: Range): number[] {
  const starts: number[] = [];
  const first = trimRange(text, range.start, range.end);
  if (first) starts.push(first.start);
  for (const cut of wordCuts(text, range)) if (cut !== first?.start) starts.push(cut);
  return starts;
}
