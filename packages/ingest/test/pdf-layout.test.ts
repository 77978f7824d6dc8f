import { describe, expect, it } from 'vitest';
import { isPageNumber, type PageLayout, removeFurniture, removeOverlays } from '../src/pdf/furniture.js';
import type { LayoutBlock, Line } from '../src/pdf/layout.js';
import { buildBlocks, joinTableRows, orderBlocks } from '../src/pdf/layout.js';
import { buildSegments } from '../src/pdf/lines.js';
import { HyphenEvidence, joinLines } from '../src/pdf/paragraphs.js';
import { attachAccents, pageRuns, type TextRun } from '../src/pdf/runs.js';

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

describe('hyphens at line ends, judged by the document', () => {
  const lines = (texts: string[]) => texts.map((text) => ({ text }) as Line);
  const evidence = HyphenEvidence.fromLines([
    lines([
      'Only odd-numbered pages carry the header; the state-of-the-art method',
      'counts pages that are odd and pages that are numbered, unlike the intervention',
      'group where the in-',
      'tervention was delayed and the con-',
      'text was lost.',
    ]),
  ]);

  it('keeps a hyphen the document uses elsewhere, or between two words it uses', () => {
    expect(joinLines('on odd-', 'numbered pages', evidence)).toBe('on odd-numbered pages');
    expect(joinLines('the state-of-', 'the-art method', evidence)).toBe('the state-of-the-art method');
  });

  it('drops a break hyphen: the joined word is used, or a part is not a word of the document', () => {
    expect(joinLines('the in-', 'tervention was', evidence)).toBe('the intervention was');
    // "con" and "text" are not both words elsewhere (the broken pieces themselves do not count).
    expect(joinLines('the con-', 'text was', evidence)).toBe('the context was');
    expect(evidence.words.has('tervention')).toBe(false);
  });
});

describe('page furniture on printouts and slides', () => {
  const line = (text: string, y0: number): Line => ({ text, x0: 50, x1: 550, y0, y1: y0 + 10, size: 10 });
  const block = (lines: Line[]): LayoutBlock => ({ lines, x0: 50, x1: 550, y0: 0, y1: 0, table: false });
  const page = (number: number, lines: Line[]): PageLayout => ({
    page: number,
    height: 800,
    blocks: [block(lines)],
    strays: [],
  });

  it('drops page numbers in several languages and a browser’s margin lines, even on a single page', () => {
    for (const text of ['Page 1 sur 1', 'Seite 2 von 5', 'Страница 1 из 3', 'Página 3 de 9', '3/9', '- 12 -']) {
      expect(isPageNumber(text)).toBe(true);
    }
    expect(isPageNumber('Chapter 3 of the report')).toBe(false);
    const printout = page(1, [
      line('07/12/2026, 10:32', 20),
      line('Body text of the printed page.', 300),
      line('https://example.org/article/42', 770),
      line('Page 1 sur 1', 785),
    ]);
    removeFurniture([printout]);
    expect(printout.blocks.flatMap((b) => b.lines.map((l) => l.text))).toEqual(['Body text of the printed page.']);
  });

  it('drops a journal footer at the bottom of page 1 (copyright, DOI, ISSN), not such text in the body', () => {
    const first = page(1, [
      line('Body text that cites doi:10.1000/xyz123 in a sentence.', 300),
      line('© 2024 The Authors. Published by Generated Press.', 760),
      line('https://doi.org/10.1016/j.test.2024.01.001', 772),
      line('ISSN 1234-567X', 784),
    ]);
    removeFurniture([first, page(2, [line('Second page text.', 300)])]);
    expect(first.blocks.flatMap((b) => b.lines.map((l) => l.text))).toEqual([
      'Body text that cites doi:10.1000/xyz123 in a sentence.',
    ]);
  });

  it('keeps only the last state of a slide built up by overlays', () => {
    const pages = [
      page(1, [line('Results', 100), line('First point', 200)]),
      page(2, [line('Results', 100), line('First point', 200), line('Second point', 300)]),
      page(3, [line('Conclusion', 100), line('Second point', 200)]),
    ];
    removeOverlays(pages);
    expect(pages.map((p) => p.blocks.flatMap((b) => b.lines.map((l) => l.text)))).toEqual([
      [],
      ['Results', 'First point', 'Second point'],
      ['Conclusion', 'Second point'],
    ]);
  });
});

describe('detached accents', () => {
  it('joins a spacing accent glyph to the letter under it, and leaves one with no letter alone', () => {
    const run = (text: string, x0: number, x1: number, y0: number): TextRun => ({
      text,
      x0,
      x1,
      y0,
      y1: y0 + 10,
      size: 10,
    });
    const runs = attachAccents([
      run('cafe noir', 100, 145, 100),
      run('\u00b4', 117, 120, 96),
      run('\u00b4', 300, 303, 96),
    ]);
    expect(runs.map((r) => r.text)).toEqual(['café noir', '\u00b4']);
  });
});
