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

function covered(line: TextLine): Interval[] {
  const spans = line.runs.map((r) => ({ x0: r.x0, x1: r.x1 })).sort((a, b) => a.x0 - b.x0);
  const merged: Interval[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span.x0 <= last.x1) last.x1 = Math.max(last.x1, span.x1);
    else merged.push({ ...span });
  }
  return merged;
}

/** Width of the chunk of text that ends at (side 'left') or starts at (side 'right') the given cover index. */
function chunkWidth(cover: readonly Interval[], index: number, side: 'left' | 'right', size: number): number {
  let start = index;
  let end = index;
  if (side === 'left') {
    while (start > 0 && (cover[start]?.x0 ?? 0) - (cover[start - 1]?.x1 ?? 0) < CHUNK_GAP_EM * size) start--;
  } else {
    while (end < cover.length - 1 && (cover[end + 1]?.x0 ?? 0) - (cover[end]?.x1 ?? 0) < CHUNK_GAP_EM * size) end++;
  }
  return (cover[end]?.x1 ?? 0) - (cover[start]?.x0 ?? 0);
}

/** How text on a line meets a window: the widths of the chunks that reach it from the left and the right. */
function touches(cover: readonly Interval[], window: Interval, size: number) {
  const reach = TOUCH_EM * size;
  let left: number | undefined;
  let right: number | undefined;
  for (let i = 0; i < cover.length; i++) {
    const span = cover[i];
    if (!span) continue;
    if (span.x1 <= window.x0 && span.x1 >= window.x0 - reach) left = chunkWidth(cover, i, 'left', size);
    if (right === undefined && span.x0 >= window.x1 && span.x0 <= window.x1 + reach) {
      right = chunkWidth(cover, i, 'right', size);
    }
  }
  return { left, right };
}

function blocks(cover: readonly Interval[], window: Interval): boolean {
  return cover.some((span) => span.x0 < window.x1 && span.x1 > window.x0);
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
  const covers = sorted.map(covered);
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
      const cover = covers[index] ?? [];
      if (blocks(cover, window)) {
        finish();
        return;
      }
      stretch ??= { y0: line.y0, y1: line.y1, lines: 0, left: 0, right: 0, leftWidth: 0, rightWidth: 0 };
      stretch.y1 = line.y1;
      stretch.lines += 1;
      const touch = touches(cover, window, size);
      if (touch.left !== undefined) {
        stretch.left += 1;
        stretch.leftWidth += touch.left;
      }
      if (touch.right !== undefined) {
        stretch.right += 1;
        stretch.rightWidth += touch.right;
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
