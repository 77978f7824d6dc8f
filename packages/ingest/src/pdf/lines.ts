import { isUnspaced } from '../script.js';
import { findGutters, type Gutter } from './gutters.js';
import type { TextRun } from './runs.js';

/** A stretch of text on one line with no column gutter inside: a line of one column, or one table cell. */
export interface Segment {
  text: string;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** Dominant font size (by characters). */
  size: number;
  /** Index of the row (segments at the same height), so cells of one table row can be rejoined. */
  row: number;
}

/** A visual line: runs at one height with no very wide gap between them; it may still cross a gutter. */
export interface TextLine {
  runs: TextRun[];
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** Size of the line's main text (its longest run), so a bullet or superscript does not set it. */
  size: number;
}

/** Runs further apart than this many ems are never on one line. */
const LINE_GAP_EM = 3;
/** A gap this wide splits a line even without a detected gutter (a short two-column stretch, a table). */
const SEGMENT_GAP_EM = 1.5;
/** Between two runs, a gap wider than this many ems stands for a space the PDF did not write. */
const SPACE_GAP_EM = 0.15;
/** CJK text has no spaces between words; only a wide gap there is a real space. */
const CJK_SPACE_GAP_EM = 0.6;

interface OpenLine extends TextLine {
  mainLength: number;
}

function fitsOnLine(line: OpenLine, run: TextRun): boolean {
  const size = Math.min(line.size, run.size);
  const gap = run.x0 - line.x1;
  if (gap > LINE_GAP_EM * size || gap < -0.5 * size) return false;
  const overlap = Math.min(run.y1, line.y1) - Math.max(run.y0, line.y0);
  return overlap >= 0.5 * Math.min(run.y1 - run.y0, line.y1 - line.y0);
}

/** Drops a run that repeats the previous one at almost the same place (fake bold by overprinting). */
function withoutOverprint(runs: readonly TextRun[]): TextRun[] {
  const out: TextRun[] = [];
  for (const run of runs) {
    const prev = out.at(-1);
    if (prev && prev.text === run.text && Math.abs(prev.x0 - run.x0) < 0.3 * run.size) continue;
    out.push(run);
  }
  return out;
}

/** Takes runs left to right; each continues the line whose end is just before it at the same height. */
export function buildTextLines(runs: readonly TextRun[]): TextLine[] {
  const sorted = [...runs].sort((a, b) => a.x0 - b.x0);
  const open: OpenLine[] = [];
  for (const run of sorted) {
    let best: OpenLine | undefined;
    let bestGap = Number.POSITIVE_INFINITY;
    for (const candidate of open) {
      if (!fitsOnLine(candidate, run)) continue;
      const gap = Math.abs(run.x0 - candidate.x1);
      if (gap < bestGap) {
        best = candidate;
        bestGap = gap;
      }
    }
    if (!best) {
      open.push({ runs: [run], ...run, mainLength: run.text.length });
      continue;
    }
    best.runs.push(run);
    best.x1 = Math.max(best.x1, run.x1);
    best.y0 = Math.min(best.y0, run.y0);
    best.y1 = Math.max(best.y1, run.y1);
    if (run.text.length > best.mainLength) {
      best.mainLength = run.text.length;
      best.size = run.size;
    }
  }
  return open.map(({ mainLength: _, ...line }) => ({ ...line, runs: withoutOverprint(line.runs) }));
}

function lastChar(text: string): string {
  return text.at(-1) ?? '';
}

/** Joins runs of one segment, inserting spaces where the gap says a word ends. */
function joinRuns(runs: readonly TextRun[]): string {
  let text = '';
  let prev: TextRun | undefined;
  for (const run of runs) {
    if (prev) {
      const gap = run.x0 - prev.x1;
      const size = Math.max(prev.size, run.size);
      const cjk = isUnspaced(lastChar(prev.text)) && isUnspaced(run.text[0] ?? '');
      const needsSpace = gap > (cjk ? CJK_SPACE_GAP_EM : SPACE_GAP_EM) * size;
      if (needsSpace && !/\s$/.test(text) && !/^\s/.test(run.text)) text += ' ';
    }
    text += run.text;
    prev = run;
  }
  return text.replace(/\s+/g, ' ').trim();
}

function dominantSize(runs: readonly TextRun[]): number {
  const weight = new Map<number, number>();
  for (const run of runs) {
    const key = Math.round(run.size * 2) / 2;
    weight.set(key, (weight.get(key) ?? 0) + run.text.length);
  }
  let best = 0;
  let bestWeight = -1;
  for (const [size, w] of weight) {
    if (w > bestWeight) {
      best = size;
      bestWeight = w;
    }
  }
  return best;
}

function makeSegment(runs: readonly TextRun[]): Segment {
  return {
    text: joinRuns(runs),
    x0: Math.min(...runs.map((r) => r.x0)),
    x1: Math.max(...runs.map((r) => r.x1)),
    y0: Math.min(...runs.map((r) => r.y0)),
    y1: Math.max(...runs.map((r) => r.y1)),
    size: dominantSize(runs),
    row: 0,
  };
}

function crossesGutter(left: TextRun, right: TextRun, line: TextLine, gutters: readonly Gutter[]): boolean {
  const centre = (line.y0 + line.y1) / 2;
  return gutters.some((g) => g.y0 <= centre && centre <= g.y1 && left.x1 <= g.x && g.x <= right.x0);
}

/** Cuts lines at column gutters and at very wide gaps. */
function splitLine(line: TextLine, gutters: readonly Gutter[]): Segment[] {
  const segments: Segment[] = [];
  let current: TextRun[] = [];
  let reach = Number.NEGATIVE_INFINITY;
  let last: TextRun | undefined;
  for (const run of line.runs) {
    const size = Math.min(run.size, line.size);
    const wide = run.x0 - reach > SEGMENT_GAP_EM * size;
    if (last && current.length > 0 && (wide || crossesGutter(last, run, line, gutters))) {
      segments.push(makeSegment(current));
      current = [];
    }
    current.push(run);
    reach = Math.max(reach, run.x1);
    last = run;
  }
  if (current.length > 0) segments.push(makeSegment(current));
  return segments;
}

/** Numbers the rows: segments that overlap vertically by half their height share a row (table detection). */
function assignRows(segments: Segment[]): Segment[] {
  const sorted = [...segments].sort((a, b) => (a.y0 + a.y1) / 2 - (b.y0 + b.y1) / 2);
  let row = -1;
  let seed: Segment | undefined;
  for (const segment of sorted) {
    const overlap = seed ? Math.min(segment.y1, seed.y1) - Math.max(segment.y0, seed.y0) : 0;
    if (!seed || overlap < 0.5 * Math.min(segment.y1 - segment.y0, seed.y1 - seed.y0)) {
      row += 1;
      seed = segment;
    }
    segment.row = row;
  }
  return sorted;
}

/** Runs → lines → segments: each segment is a line of one column (or one table cell). */
export function buildSegments(runs: readonly TextRun[]): Segment[] {
  const lines = buildTextLines(runs);
  const gutters = findGutters(lines);
  const segments = lines.flatMap((line) => splitLine(line, gutters)).filter((s) => s.text.length > 0);
  return assignRows(segments);
}
