/**
 * Turns pdf.js text items into axis-aligned runs in a "reading frame": x grows along a line and y grows from
 * one line to the next. For horizontal pages that is the viewport (top-left origin); pages set in vertical
 * writing (Japanese tategaki) are transposed, so the same line and column logic serves both.
 */

import { composed, isSpacingAccents } from '../normalize.js';
import { isUnspaced } from '../script.js';

/** The parts of a pdf.js text item this module reads. */
export interface PdfTextItem {
  str: string;
  dir: string;
  transform: number[];
  width: number;
  height: number;
  fontName: string;
}

export interface PdfFontStyle {
  ascent: number;
  descent: number;
  vertical?: boolean;
}

export interface PdfPageText {
  /** Viewport size at scale 1 (rotation applied). */
  width: number;
  height: number;
  /** The viewport's transform from PDF user space to viewport space (y down). */
  viewportTransform: readonly number[];
  items: readonly PdfTextItem[];
  styles: Readonly<Record<string, PdfFontStyle>>;
}

/** A piece of text with its box in the reading frame. */
export interface TextRun {
  text: string;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** Font size in points. */
  size: number;
}

export type WritingMode = 'horizontal' | 'vertical';

export interface PageRuns {
  mode: WritingMode;
  /** Runs that follow the page's writing direction. */
  runs: TextRun[];
  /** Text set at another angle (margin stamps, rotated labels): kept out of the line flow. */
  strays: string[];
  /** Extent of the reading frame. */
  width: number;
  height: number;
}

type Matrix = readonly number[];

function multiply(m1: Matrix, m2: Matrix): number[] {
  const [a1 = 0, b1 = 0, c1 = 0, d1 = 0, e1 = 0, f1 = 0] = m1;
  const [a2 = 0, b2 = 0, c2 = 0, d2 = 0, e2 = 0, f2 = 0] = m2;
  return [
    a1 * a2 + c1 * b2,
    b1 * a2 + d1 * b2,
    a1 * c2 + c1 * d2,
    b1 * c2 + d1 * d2,
    a1 * e2 + c1 * f2 + e1,
    b1 * e2 + d1 * f2 + f1,
  ];
}

function apply(m: Matrix, x: number, y: number): [number, number] {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = m;
  return [a * x + c * y + e, b * x + d * y + f];
}

type Direction = 'ltr' | 'ttb' | 'other';

interface PlacedItem {
  text: string;
  box: { x0: number; x1: number; y0: number; y1: number };
  size: number;
  direction: Direction;
}

/** Vertical presentation forms (︵ ︑ ︒ …) become the ordinary punctuation they stand for. */
function horizontalForms(text: string): string {
  return text.replace(/[\ufe10-\ufe19\ufe30-\ufe4f]/gu, (c) => c.normalize('NFKC'));
}

/** Places an item in viewport space: its bounding box, font size and writing direction. */
function place(item: PdfTextItem, page: PdfPageText): PlacedItem | undefined {
  const style = page.styles[item.fontName];
  const local = item.transform;
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = local;
  const size = Math.hypot(c, d) || Math.hypot(a, b);
  if (!(size > 0)) return undefined;
  // Corners in PDF user space. Along the text: the item's advance; across it: the font's ascent/descent.
  const along = [a / Math.hypot(a, b || 0.0001), b / Math.hypot(a, b || 0.0001)] as const;
  const up = [c / size, d / size] as const;
  let corners: Array<[number, number]>;
  if (style?.vertical) {
    // Vertical fonts put the origin at the top centre of the glyph column and advance downwards.
    const half = item.width / 2;
    corners = [
      [e - half, f],
      [e + half, f],
      [e - half, f - item.height],
      [e + half, f - item.height],
    ];
  } else {
    const ascent = style && style.ascent > 0 ? style.ascent : 0.8;
    const descent = style && style.descent < 0 ? style.descent : -0.2;
    corners = [];
    for (const t of [0, item.width]) {
      for (const s of [descent * size, ascent * size]) {
        corners.push([e + along[0] * t + up[0] * s, f + along[1] * t + up[1] * s]);
      }
    }
  }
  const points = corners.map(([x, y]) => apply(page.viewportTransform, x, y));
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const box = { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
  // Direction of the text in viewport space.
  const m = multiply(page.viewportTransform, local);
  const [ma = 0, mb = 0] = m;
  let direction: Direction;
  if (style?.vertical || item.dir === 'ttb') direction = 'ttb';
  else if (Math.abs(mb) <= Math.abs(ma) * 0.05 && ma > 0) direction = 'ltr';
  else if (Math.abs(ma) <= Math.abs(mb) * 0.05 && mb > 0) direction = 'ttb';
  else direction = 'other';
  return { text: horizontalForms(item.str), box, size, direction };
}

function insidePage(item: PlacedItem, page: PdfPageText): boolean {
  const cx = (item.box.x0 + item.box.x1) / 2;
  const cy = (item.box.y0 + item.box.y1) / 2;
  return cx >= 0 && cx <= page.width && cy >= 0 && cy <= page.height;
}

/**
 * Single Chinese/Japanese glyphs set one below the other (some producers write vertical text one glyph per item with a
 * horizontal font) count as vertical writing when they outnumber side-by-side glyphs.
 */
function stackedGlyphs(items: readonly PlacedItem[]): Set<PlacedItem> {
  const singles = items.filter(
    (item) => item.direction === 'ltr' && [...item.text].length === 1 && isUnspaced(item.text),
  );
  const byColumn = new Map<number, PlacedItem[]>();
  for (const item of singles) {
    const key = Math.round(item.box.x0);
    const column = byColumn.get(key) ?? [];
    column.push(item);
    byColumn.set(key, column);
  }
  const stacked = new Set<PlacedItem>();
  for (const column of byColumn.values()) {
    column.sort((p, q) => p.box.y0 - q.box.y0);
    for (let i = 1; i < column.length; i++) {
      const prev = column[i - 1];
      const next = column[i];
      if (!prev || !next) continue;
      const step = next.box.y0 - prev.box.y0;
      if (step > 0.5 * prev.size && step < 1.6 * prev.size) {
        stacked.add(prev);
        stacked.add(next);
      }
    }
  }
  return stacked;
}

/** Collects the page's runs in reading frame; text outside the page box is dropped as invisible. */
export function pageRuns(page: PdfPageText): PageRuns {
  const placed: PlacedItem[] = [];
  for (const item of page.items) {
    if (item.str.trim().length === 0) continue;
    const p = place(item, page);
    if (p && insidePage(p, page)) placed.push(p);
  }
  const stacked = stackedGlyphs(placed);
  let verticalChars = 0;
  let horizontalChars = 0;
  for (const item of placed) {
    const chars = item.text.length;
    if (item.direction === 'ttb' || stacked.has(item)) verticalChars += chars;
    else if (item.direction === 'ltr') horizontalChars += chars;
  }
  const mode: WritingMode = verticalChars > horizontalChars ? 'vertical' : 'horizontal';
  const runs: TextRun[] = [];
  const strays: string[] = [];
  for (const item of placed) {
    const { x0, x1, y0, y1 } = item.box;
    if (mode === 'horizontal') {
      if (item.direction === 'ltr') runs.push({ text: item.text, x0, x1, y0, y1, size: item.size });
      else strays.push(item.text);
    } else if (item.direction === 'other') {
      strays.push(item.text);
    } else {
      // Transpose: top-to-bottom becomes left-to-right, and columns read right to left become lines.
      runs.push({ text: item.text, x0: y0, x1: y1, y0: page.width - x1, y1: page.width - x0, size: item.size });
    }
  }
  return mode === 'horizontal'
    ? { mode, runs: attachAccents(runs), strays, width: page.width, height: page.height }
    : { mode, runs, strays, width: page.height, height: page.width };
}

/**
 * A spacing accent drawn as a glyph of its own over (or just before) a letter, as TeX and some Greek fonts do
 * (`´` over `e`, `΄` before `Ε`), would otherwise be a line of its own, a paragraph or a fake table cell. It is
 * joined to the letter under it: the run whose box holds the accent's centre (or lies just below it), at the
 * character nearest that place (positions estimated in proportion to the run's width) that composes with it.
 */
export function attachAccents(runs: readonly TextRun[]): TextRun[] {
  const hosts = runs.filter((run) => !isSpacingAccents(run.text));
  const kept: TextRun[] = [];
  const texts = new Map<TextRun, string>(hosts.map((run) => [run, run.text]));
  for (const run of runs) {
    if (!isSpacingAccents(run.text)) continue;
    const accent = run.text.trim();
    const centre = (run.x0 + run.x1) / 2;
    const middle = (run.y0 + run.y1) / 2;
    let host: TextRun | undefined;
    let distance = Number.POSITIVE_INFINITY;
    for (const candidate of hosts) {
      const slack = 0.3 * candidate.size;
      if (centre < candidate.x0 - slack || centre > candidate.x1 + slack) continue;
      // Above the letter (y grows downwards), or level with it.
      if (middle > candidate.y1 || middle < candidate.y0 - candidate.size) continue;
      const gap = Math.abs((candidate.y0 + candidate.y1) / 2 - middle);
      if (gap < distance) {
        host = candidate;
        distance = gap;
      }
    }
    const text = host === undefined ? undefined : texts.get(host);
    const joined = host === undefined || text === undefined ? undefined : withAccent(text, host, centre, accent);
    if (host === undefined || joined === undefined) {
      kept.push(run);
      continue;
    }
    texts.set(host, joined);
  }
  const out = runs.filter((run) => !isSpacingAccents(run.text) || kept.includes(run));
  return out.map((run) => {
    const text = texts.get(run);
    return text === undefined || text === run.text ? run : { ...run, text };
  });
}

/** Rough advance widths (in em) of proportional Latin type, to place a point inside a run without font metrics. */
function advance(char: string): number {
  if (char === ' ' || /[il.,:;!|'’]/u.test(char)) return 0.27;
  if (/[fjrtI()[\]-]/u.test(char)) return 0.33;
  if (/[mwMW]/u.test(char)) return 0.85;
  if (/\p{Lu}/u.test(char)) return 0.68;
  return 0.55;
}

/** The index of the character under `x`, widths estimated by `advance`. */
function charAt(chars: readonly string[], host: TextRun, x: number): number {
  const widths = chars.map(advance);
  const total = widths.reduce((sum, width) => sum + width, 0);
  const target = ((x - host.x0) / Math.max(1e-6, host.x1 - host.x0)) * total;
  let edge = 0;
  for (const [index, width] of widths.entries()) {
    edge += width;
    if (target < edge) return index;
  }
  return chars.length - 1;
}

/** The host's text with the accent composed onto the letter nearest `x`, or undefined when none composes. */
function withAccent(text: string, host: TextRun, x: number, accent: string): string | undefined {
  const chars = [...text];
  const estimate = charAt(chars, host, x);
  for (const offset of [0, 1, -1, 2, -2]) {
    const index = Math.min(chars.length - 1, Math.max(0, estimate + offset));
    const letter = chars[index] as string;
    const result = [...accent].reduce<string | undefined>(
      (current, mark) => (current === undefined ? undefined : composed(current, mark)),
      letter,
    );
    if (result !== undefined && /\p{L}/u.test(letter)) {
      chars[index] = result;
      return chars.join('');
    }
  }
  return undefined;
}
