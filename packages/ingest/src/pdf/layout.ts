/**
 * Reading order for one page: table rows are rejoined, lines are grouped into blocks (a column's run of
 * lines), and blocks are put in order by the rules of Breuel's "High Performance Document Layout Analysis"
 * (2003): a block comes before another when it is above it and they share some width, or when it is wholly
 * to its left and no third block lying between them vertically spans both. Columns are thus read to the end
 * before the next one starts, while a full-width title, figure or section break still cuts across them.
 */
import type { Segment } from './lines.js';

export interface Line {
  text: string;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  size: number;
  /** Cells of a table row; absent for running text. */
  cells?: string[];
}

export interface LayoutBlock {
  lines: Line[];
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  table: boolean;
}

/** A row with at least this many segments is read as a table row (page layouts have at most three columns). */
const TABLE_MIN_CELLS = 4;
/** Cells are narrower than this share of the page: wider segments are running text beside a table. */
const CELL_MAX_SHARE = 0.2;

function toLine(segment: Segment): Line {
  return {
    text: segment.text,
    x0: segment.x0,
    x1: segment.x1,
    y0: segment.y0,
    y1: segment.y1,
    size: segment.size,
  };
}

function mergeCells(cells: readonly Segment[]): Line {
  const sizes = cells.map((c) => c.size).sort((a, b) => a - b);
  return {
    text: cells.map((c) => c.text).join(' '),
    x0: Math.min(...cells.map((c) => c.x0)),
    x1: Math.max(...cells.map((c) => c.x1)),
    y0: Math.min(...cells.map((c) => c.y0)),
    y1: Math.max(...cells.map((c) => c.y1)),
    size: sizes[Math.floor(sizes.length / 2)] ?? 0,
    cells: cells.map((c) => c.text),
  };
}

/**
 * Rejoins the cells of table rows, so a table reads row by row rather than column by column; a row counts
 * as a table row when it has many narrow segments (or sits between such rows).
 */
export function joinTableRows(segments: readonly Segment[], pageWidth: number): Line[] {
  const byRow = new Map<number, Segment[]>();
  for (const segment of segments) {
    const row = byRow.get(segment.row) ?? [];
    row.push(segment);
    byRow.set(segment.row, row);
  }
  const rowIds = [...byRow.keys()].sort((a, b) => a - b);
  const narrowCount = (row: readonly Segment[]) => row.filter((s) => s.x1 - s.x0 < CELL_MAX_SHARE * pageWidth).length;
  const isTableRow = new Set<number>();
  for (const id of rowIds) {
    const row = byRow.get(id) ?? [];
    if (row.length >= TABLE_MIN_CELLS && narrowCount(row) >= TABLE_MIN_CELLS - 1) isTableRow.add(id);
  }
  // Rows with a few empty cells still belong to the table around them.
  for (const [index, id] of rowIds.entries()) {
    const row = byRow.get(id) ?? [];
    const prev = rowIds[index - 1];
    const next = rowIds[index + 1];
    if (
      row.length >= 2 &&
      prev !== undefined &&
      next !== undefined &&
      isTableRow.has(prev) &&
      isTableRow.has(next) &&
      narrowCount(row) === row.length
    ) {
      isTableRow.add(id);
    }
  }
  const lines: Line[] = [];
  for (const id of rowIds) {
    const row = (byRow.get(id) ?? []).sort((a, b) => a.x0 - b.x0);
    if (!isTableRow.has(id)) {
      lines.push(...row.map(toLine));
      continue;
    }
    // Wide segments beside the table are running text of another column: keep them apart.
    let run: Segment[] = [];
    const flush = () => {
      if (run.length === 1 && run[0]) lines.push(toLine(run[0]));
      else if (run.length > 1) lines.push(mergeCells(run));
      run = [];
    };
    for (const segment of row) {
      if (segment.x1 - segment.x0 >= CELL_MAX_SHARE * pageWidth) {
        flush();
        lines.push(toLine(segment));
      } else {
        run.push(segment);
      }
    }
    flush();
  }
  return lines;
}

function xOverlap(a: { x0: number; x1: number }, b: { x0: number; x1: number }): number {
  return Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
}

function belongsBelow(block: LayoutBlock, line: Line): boolean {
  const last = block.lines.at(-1);
  if (!last) return false;
  if (Boolean(last.cells) !== Boolean(line.cells)) return false;
  const size = Math.min(last.size, line.size);
  if (Math.max(last.size, line.size) > 1.3 * size) return false;
  const gap = line.y0 - last.y1;
  if (gap < -0.6 * size || gap > 1.0 * size) return false;
  const overlap = xOverlap(last, line);
  const narrower = Math.min(last.x1 - last.x0, line.x1 - line.x0);
  return overlap >= 0.5 * narrower || Math.abs(last.x0 - line.x0) < size;
}

/** Groups lines into blocks: each line continues the nearest block whose last line sits just above it. */
export function buildBlocks(lines: readonly Line[]): LayoutBlock[] {
  const sorted = [...lines].sort((a, b) => a.y0 - b.y0 || a.x0 - b.x0);
  const blocks: LayoutBlock[] = [];
  const extendedInRow = new Set<LayoutBlock>();
  let rowTop = Number.NEGATIVE_INFINITY;
  for (const line of sorted) {
    // A block takes at most one line per row, so two columns starting under a wide line stay apart.
    if (line.y0 - rowTop > 0.5 * line.size) {
      extendedInRow.clear();
      rowTop = line.y0;
    }
    let best: LayoutBlock | undefined;
    let bestGap = Number.POSITIVE_INFINITY;
    for (const block of blocks) {
      if (extendedInRow.has(block) || !belongsBelow(block, line)) continue;
      const gap = line.y0 - block.y1;
      if (gap < bestGap) {
        best = block;
        bestGap = gap;
      }
    }
    if (best) {
      best.lines.push(line);
      best.x0 = Math.min(best.x0, line.x0);
      best.x1 = Math.max(best.x1, line.x1);
      best.y1 = Math.max(best.y1, line.y1);
    } else {
      best = { lines: [line], x0: line.x0, x1: line.x1, y0: line.y0, y1: line.y1, table: Boolean(line.cells) };
      blocks.push(best);
    }
    extendedInRow.add(best);
  }
  return blocks;
}

function centreY(b: LayoutBlock): number {
  return (b.y0 + b.y1) / 2;
}

function overlapsInX(a: LayoutBlock, b: LayoutBlock): boolean {
  const overlap = xOverlap(a, b);
  return overlap > 0.1 * Math.min(a.x1 - a.x0, b.x1 - b.x0) && overlap > 1;
}

function comesBefore(a: LayoutBlock, b: LayoutBlock, all: readonly LayoutBlock[]): boolean {
  if (overlapsInX(a, b)) return a.y0 < b.y0 || (a.y0 === b.y0 && a.x0 < b.x0);
  if ((a.x0 + a.x1) / 2 >= (b.x0 + b.x1) / 2) return false;
  const low = Math.min(centreY(a), centreY(b));
  const high = Math.max(centreY(a), centreY(b));
  for (const c of all) {
    if (c === a || c === b) continue;
    const cy = centreY(c);
    if (cy > low && cy < high && overlapsInX(c, a) && overlapsInX(c, b)) return false;
  }
  return true;
}

/** Topological order of the blocks; among ready blocks the topmost goes first. */
export function orderBlocks(blocks: readonly LayoutBlock[]): LayoutBlock[] {
  const n = blocks.length;
  const incoming = new Array<number>(n).fill(0);
  const edges: number[][] = blocks.map(() => []);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = blocks[i];
      const b = blocks[j];
      if (i === j || !a || !b) continue;
      if (comesBefore(a, b, blocks)) {
        edges[i]?.push(j);
        incoming[j] = (incoming[j] ?? 0) + 1;
      }
    }
  }
  const done = new Array<boolean>(n).fill(false);
  const order: LayoutBlock[] = [];
  const rank = (i: number) => blocks[i] ?? { y0: 0, x0: 0 };
  while (order.length < n) {
    let pick = -1;
    for (let i = 0; i < n; i++) {
      if (done[i] || (incoming[i] ?? 0) > 0) continue;
      if (pick < 0 || rank(i).y0 < rank(pick).y0 || (rank(i).y0 === rank(pick).y0 && rank(i).x0 < rank(pick).x0)) {
        pick = i;
      }
    }
    // A cycle (ambiguous geometry): fall back to the topmost block left.
    if (pick < 0) {
      for (let i = 0; i < n; i++) {
        if (!done[i] && (pick < 0 || rank(i).y0 < rank(pick).y0)) pick = i;
      }
    }
    done[pick] = true;
    const block = blocks[pick];
    if (block) order.push(block);
    for (const j of edges[pick] ?? []) incoming[j] = (incoming[j] ?? 0) - 1;
  }
  return order;
}
