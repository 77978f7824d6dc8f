/**
 * Margin columns: line numbers of manuscripts and notes set beside the running text. Lines wholly outside the
 * main text box (the extent of the page's long lines), and narrow, are taken out of the flow, so they are not
 * interleaved with the running text: bare numbers (line numbers) are dropped, other notes come after the page's
 * text, each side's lines joined top to bottom.
 */
import type { Line } from './layout.js';

/** Lines at least this long (characters) make the main text box. */
const BODY_LINE_CHARS = 40;
/** ...and at least this many of them on the page, or the page is left as it is. */
const MIN_BODY_LINES = 3;
/** A margin line is at least this far (in ems) outside the main text box... */
const MIN_DISTANCE_EM = 1;
/** ...and no wider than this share of the page. */
const MAX_WIDTH_SHARE = 0.2;
const LINE_NUMBER = /^\d{1,5}$/u;

export interface MarginSplit {
  body: Line[];
  /** Margin notes, one per run of consecutive lines on one side. */
  notes: string[];
}

function quantile(values: readonly number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? 0;
}

export function separateMargins(lines: readonly Line[], pageWidth: number): MarginSplit {
  const long = lines.filter((line) => line.text.length >= BODY_LINE_CHARS);
  if (long.length < MIN_BODY_LINES) return { body: [...lines], notes: [] };
  const left = quantile(
    long.map((line) => line.x0),
    0.1,
  );
  const right = quantile(
    long.map((line) => line.x1),
    0.9,
  );
  const body: Line[] = [];
  const sides: Record<'left' | 'right', Line[]> = { left: [], right: [] };
  for (const line of lines) {
    const narrow = line.x1 - line.x0 <= MAX_WIDTH_SHARE * pageWidth;
    const margin = MIN_DISTANCE_EM * line.size;
    const side = !narrow
      ? undefined
      : line.x1 <= left - margin
        ? 'left'
        : line.x0 >= right + margin
          ? 'right'
          : undefined;
    if (side === undefined) body.push(line);
    else if (!LINE_NUMBER.test(line.text.trim())) sides[side].push(line);
  }
  const notes: string[] = [];
  for (const side of [sides.left, sides.right]) {
    side.sort((a, b) => a.y0 - b.y0);
    let note: Line | undefined;
    let text = '';
    for (const line of side) {
      if (note !== undefined && line.y0 - note.y1 <= 1.5 * line.size) text += ` ${line.text.trim()}`;
      else {
        if (text) notes.push(text);
        text = line.text.trim();
      }
      note = line;
    }
    if (text) notes.push(text);
  }
  return { body, notes };
}
