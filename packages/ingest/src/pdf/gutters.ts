/**
 * Column gutters: vertical strips of white space that run down many consecutive lines with column-wide text
 * on both sides. Word gaps in justified text may be as wide as a narrow gutter, but they do not line up
 * down six lines, so a gap is only treated as a column break where such a strip passes through it.
 */
import type { TextLine } from './lines.js';

export interface Gutter {
  /** Centre of the strip. */
  x: number;
  y0: number;
  y1: number;
}

/** A strip must run down at least this many lines... */
const MIN_LINES = 6;
/** ...with text reaching it from each side on at least this many of them... */
const MIN_TOUCHES = 3;
/** ...be at least this wide (ems of body text)... */
const MIN_WIDTH_EM = 0.6;
/** ...and have column-wide text beside it: on average this many ems (labels of a list are narrower). */
const MIN_COLUMN_EM = 6;
/** Text ending within this many ems of the strip reaches it. */
const TOUCH_EM = 2;
/** Runs closer than this many ems belong to one chunk of text when measuring a column's width. */
const CHUNK_GAP_EM = 1.5;

interface Interval {
  x0: number;
  x1: number;
}

/** A line's inked spans, merged and sorted, with the width of the text chunk each span ends and starts. */
interface Cover {
  spans: Interval[];
  /** Width of the chunk (spans closer than CHUNK_GAP_EM) that ends with span i. */
  endingWidth: number[];
  /** Width of the chunk that starts with span i. */
  startingWidth: number[];
}

function coverOf(line: TextLine, size: number): Cover {
  const sorted = line.runs.map((r) => ({ x0: r.x0, x1: r.x1 })).sort((a, b) => a.x0 - b.x0);
  const spans: Interval[] = [];
  for (const span of sorted) {
    const last = spans.at(-1);
    if (last && span.x0 <= last.x1) last.x1 = Math.max(last.x1, span.x1);
    else spans.push({ ...span });
  }
  const joined = (i: number) => (spans[i]?.x0 ?? 0) - (spans[i - 1]?.x1 ?? 0) < CHUNK_GAP_EM * size;
  const endingWidth: number[] = [];
  let chunkStart = 0;
  for (let i = 0; i < spans.length; i++) {
    if (i > 0 && !joined(i)) chunkStart = i;
    endingWidth.push((spans[i]?.x1 ?? 0) - (spans[chunkStart]?.x0 ?? 0));
  }
  const startingWidth = new Array<number>(spans.length).fill(0);
  let chunkEnd = spans.length - 1;
  for (let i = spans.length - 1; i >= 0; i--) {
    if (i < spans.length - 1 && !joined(i + 1)) chunkEnd = i;
    startingWidth[i] = (spans[chunkEnd]?.x1 ?? 0) - (spans[i]?.x0 ?? 0);
  }
  return { spans, endingWidth, startingWidth };
}

/** Index of the first span ending after x (binary search; spans are sorted and disjoint). */
function firstEndingAfter(spans: readonly Interval[], x: number): number {
  let low = 0;
  let high = spans.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((spans[mid]?.x1 ?? 0) > x) high = mid;
    else low = mid + 1;
  }
  return low;
}

type Meeting = { blocked: true } | { blocked: false; left?: number; right?: number };

/** How a line meets a window: ink inside it, or the widths of the chunks that reach it from either side. */
function meet(cover: Cover, window: Interval, size: number): Meeting {
  const index = firstEndingAfter(cover.spans, window.x0);
  const next = cover.spans[index];
  if (next && next.x0 < window.x1) return { blocked: true };
  const reach = TOUCH_EM * size;
  const prev = cover.spans[index - 1];
  const meeting: Meeting = { blocked: false };
  if (prev && prev.x1 >= window.x0 - reach) meeting.left = cover.endingWidth[index - 1] ?? 0;
  if (next && next.x0 <= window.x1 + reach) meeting.right = cover.startingWidth[index] ?? 0;
  return meeting;
}

interface Stretch {
  y0: number;
  y1: number;
  lines: number;
  left: number;
  right: number;
  leftWidth: number;
  rightWidth: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/**
 * Slides a window as wide as the narrowest gutter across the page (in half steps) and, for each position,
 * follows it down the lines: a stretch of lines that leave the window empty, with wide text reaching it
 * from both sides, is a gutter.
 */
export function findGutters(lines: readonly TextLine[]): Gutter[] {
  if (lines.length < MIN_LINES) return [];
  const size = median(lines.map((l) => l.size));
  const width = MIN_WIDTH_EM * size;
  const sorted = [...lines].sort((a, b) => (a.y0 + a.y1) / 2 - (b.y0 + b.y1) / 2);
  const covers = sorted.map((line) => coverOf(line, size));
  const x0 = Math.min(...lines.map((l) => l.x0));
  const x1 = Math.max(...lines.map((l) => l.x1));
  const found: Gutter[] = [];
  for (let start = x0; start + width <= x1; start += width / 2) {
    const window = { x0: start, x1: start + width };
    let stretch: Stretch | undefined;
    const finish = () => {
      if (stretch && isGutter(stretch, size)) found.push({ x: start + width / 2, y0: stretch.y0, y1: stretch.y1 });
      stretch = undefined;
    };
    sorted.forEach((line, index) => {
      const cover = covers[index];
      const meeting = cover ? meet(cover, window, size) : { blocked: false as const };
      if (meeting.blocked) {
        finish();
        return;
      }
      stretch ??= { y0: line.y0, y1: line.y1, lines: 0, left: 0, right: 0, leftWidth: 0, rightWidth: 0 };
      stretch.y1 = line.y1;
      stretch.lines += 1;
      if (meeting.left !== undefined) {
        stretch.left += 1;
        stretch.leftWidth += meeting.left;
      }
      if (meeting.right !== undefined) {
        stretch.right += 1;
        stretch.rightWidth += meeting.right;
      }
    });
    finish();
  }
  return found;
}

function isGutter(s: Stretch, size: number): boolean {
  return (
    s.lines >= MIN_LINES &&
    s.left >= MIN_TOUCHES &&
    s.right >= MIN_TOUCHES &&
    s.leftWidth / s.left >= MIN_COLUMN_EM * size &&
    s.rightWidth / s.right >= MIN_COLUMN_EM * size
  );
}
