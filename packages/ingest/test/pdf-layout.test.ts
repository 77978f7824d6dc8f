import { describe, expect, it } from 'vitest';
import { buildBlocks, joinTableRows, orderBlocks } from '../src/pdf/layout.js';
import { buildSegments } from '../src/pdf/lines.js';
import { joinLines } from '../src/pdf/paragraphs.js';
import { pageRuns, type TextRun } from '../src/pdf/runs.js';

const SIZE = 10;
const LEADING = 12;

/** A line of text as one run per word, 5 pt per character and a 3 pt space. */
function words(text: string, x: number, y: number): TextRun[] {
  const runs: TextRun[] = [];
  let cursor = x;
  for (const word of text.split(' ')) {
    const width = word.length * 5;
    runs.push({ text: word, x0: cursor, x1: cursor + width, y0: y, y1: y + SIZE, size: SIZE });
    cursor += width + 3;
  }
  return runs;
}

function readingOrder(runs: TextRun[], width = 600): string[] {
  const lines = joinTableRows(buildSegments(runs), width);
  return orderBlocks(buildBlocks(lines)).flatMap((block) => block.lines.map((line) => line.text));
}

/** Justified column lines: words spread so each line fills the column. */
function column(prefix: string, x: number, top: number, count: number): TextRun[] {
  const runs: TextRun[] = [];
  for (let i = 0; i < count; i++)
    runs.push(...words(`${prefix}${i} lorem ipsum dolor sit amet consectetur`, x, top + i * LEADING));
  return runs;
}

describe('PDF reading order', () => {
  it('reads two columns with aligned baselines one after the other, below a full-width title', () => {
    // Gutter of 9 pt (< 1 em): only its alignment down the page tells it from a word gap.
    const left = column('L', 50, 100, 8);
    const leftWidth = Math.max(...left.map((r) => r.x1)) - 50;
    const runs = [
      ...words('A Title That Spans Both Columns Of The Page Easily', 120, 60),
      ...left,
      ...column('R', 50 + leftWidth + 9, 100, 8),
    ];
    const order = readingOrder(runs);
    expect(order[0]).toBe('A Title That Spans Both Columns Of The Page Easily');
    expect(order.slice(1).map((line) => line.split(' ')[0])).toEqual([
      ...Array.from({ length: 8 }, (_, i) => `L${i}`),
      ...Array.from({ length: 8 }, (_, i) => `R${i}`),
    ]);
  });

  it('keeps a short line beside a column gap on one line when no gutter runs down the page', () => {
    const runs = [...words('alpha beta', 50, 100), ...words('gamma', 98 + 12, 100)];
    expect(readingOrder(runs)).toEqual(['alpha beta gamma']);
  });

  it('reads a table without rules row by row', () => {
    const runs: TextRun[] = [];
    const cells = [
      ['State', 'Handgun', 'Long', 'Other', 'Total'],
      ['Alabama', '18,870', '23,022', '22,650', '64,542'],
      ['Alaska', '209', '3,062', '3,209', '6,480'],
    ];
    for (const [r, row] of cells.entries()) {
      for (const [c, cell] of row.entries()) runs.push(...words(cell, 50 + c * 90, 100 + r * LEADING));
    }
    const lines = joinTableRows(buildSegments(runs), 600);
    const blocks = orderBlocks(buildBlocks(lines));
    expect(blocks).toHaveLength(1);
    expect(blocks[0]?.table).toBe(true);
    expect(blocks[0]?.lines.map((l) => l.cells)).toEqual(cells);
  });

  it('transposes vertical writing so columns read right to left, top to bottom', () => {
    const glyph = (str: string, x: number, y: number) => ({
      str,
      dir: 'ttb',
      transform: [10, 0, 0, 10, x, y],
      width: 10,
      height: 10 * str.length,
      fontName: 'v',
    });
    const page = pageRuns({
      width: 300,
      height: 400,
      viewportTransform: [1, 0, 0, -1, 0, 400],
      items: [glyph('右の行', 250, 350), glyph('左の行', 230, 350)],
      styles: { v: { ascent: 0.8, descent: -0.2, vertical: true } },
    });
    expect(page.mode).toBe('vertical');
    expect(readingOrder(page.runs, page.width)).toEqual(['右の行', '左の行']);
  });
});

describe('joinLines', () => {
  it('repairs a hyphen at a line end before a lower-case continuation only', () => {
    expect(joinLines('the in-', 'tervention was')).toBe('the intervention was');
    expect(joinLines('Form 1040NR-', 'EZ and')).toBe('Form 1040NR-EZ and');
    expect(joinLines('soft\u00ad', 'ware')).toBe('software');
    expect(joinLines('plain', 'words')).toBe('plain words');
    expect(joinLines('日本語の', '文章')).toBe('日本語の文章');
  });
});
