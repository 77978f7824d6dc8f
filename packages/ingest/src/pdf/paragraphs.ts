/**
 * Rebuilds paragraphs and headings from a block's lines: a paragraph ends at a short line, a wider gap, an
 * indented or bulleted line, or a change of font size; larger-than-body short paragraphs are headings.
 * Lines are joined with a space, except across a line-end hyphen (repaired) or between CJK characters.
 */
import type { DraftBlock, HeadingLevel } from '@winnow/core';
import { renderTable } from '../loaders/render.js';
import { isUnspaced } from '../script.js';
import type { LayoutBlock, Line } from './layout.js';

const BULLET = /^(?:[•▪◦●○■□◆►‣∙·*–—-]\s|\(?(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)]\s)/u;
/** A heading is at most this long; longer large-print text is a paragraph (e.g. an abstract set large). */
const HEADING_MAX_CHARS = 200;
/** A line at least this much larger than body text (by size) is heading material. */
const HEADING_SIZE_RATIO = 1.15;

export interface TextStyleStats {
  bodySize: number;
  /** Heading sizes, largest first: index + 1 is the level. */
  headingSizes: number[];
}

function roundSize(size: number): number {
  return Math.round(size * 2) / 2;
}

/** Body size = the size carrying most characters; every clearly larger size is a heading level. */
export function styleStats(lines: Iterable<Line>): TextStyleStats {
  const chars = new Map<number, number>();
  const all: Line[] = [];
  for (const line of lines) {
    all.push(line);
    const size = roundSize(line.size);
    chars.set(size, (chars.get(size) ?? 0) + line.text.length);
  }
  let bodySize = 0;
  let most = -1;
  for (const [size, count] of chars) {
    if (count > most) {
      bodySize = size;
      most = count;
    }
  }
  const headingSizes = [...chars.keys()]
    .filter((size) => size >= bodySize * HEADING_SIZE_RATIO)
    .filter((size) => all.some((l) => roundSize(l.size) === size && l.text.length <= HEADING_MAX_CHARS))
    .sort((a, b) => b - a);
  return { bodySize, headingSizes };
}

/** Joins two lines of one paragraph, repairing a word broken by a hyphen at the end of the first. */
export function joinLines(first: string, second: string): string {
  if (first.length === 0) return second;
  if (first.endsWith('\u00ad')) return first.slice(0, -1) + second;
  if (/\p{L}[-\u2010]$/u.test(first) && /^\p{Ll}/u.test(second)) return first.slice(0, -1) + second;
  // A dash after a word or number at the line end continues it: "1040NR-" + "EZ", "2018–" + "23–51".
  if (/[\p{L}\p{N}][-\u2010\u2013]$/u.test(first)) return first + second;
  if (isUnspaced(first.at(-1) ?? '') && isUnspaced(second[0] ?? '')) return first + second;
  return `${first} ${second}`;
}

interface Paragraph {
  lines: Line[];
}

function splitParagraphs(block: LayoutBlock): Paragraph[] {
  const left = median(block.lines.map((l) => l.x0));
  const right = Math.max(...block.lines.map((l) => l.x1));
  const paragraphs: Paragraph[] = [];
  let current: Paragraph | undefined;
  let prev: Line | undefined;
  for (const line of block.lines) {
    let breakBefore = !current || !prev;
    if (prev && current) {
      const size = Math.min(prev.size, line.size);
      const sizeChange = Math.max(prev.size, line.size) > 1.1 * size;
      const prevShort = right - prev.x1 > firstWordWidth(line);
      const gap = line.y0 - prev.y1;
      const indented = line.x0 > left + 0.8 * size && prev.x0 <= left + 0.8 * size;
      breakBefore = sizeChange || prevShort || gap > 0.7 * size || indented || BULLET.test(line.text);
    }
    if (breakBefore || !current) {
      current = { lines: [] };
      paragraphs.push(current);
    }
    current.lines.push(line);
    prev = line;
  }
  return paragraphs;
}

/** Roughly how wide the line's first word is, from the line's average character width. */
function firstWordWidth(line: Line): number {
  const charWidth = (line.x1 - line.x0) / Math.max(1, line.text.length);
  const word = /^\S+/u.exec(line.text)?.[0] ?? '';
  // CJK lines have no spaces: one character is the unit that could have moved up.
  const length = isUnspaced(word[0] ?? '') ? 1 : word.length + 1;
  return Math.max(length * charWidth, 2 * line.size);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Turns a page's ordered blocks into draft blocks (headings, paragraphs, tables) for that page. */
export function pageDrafts(blocks: readonly LayoutBlock[], stats: TextStyleStats, page: number): DraftBlock[] {
  const drafts: DraftBlock[] = [];
  for (const block of blocks) {
    if (block.table) {
      const rows = block.lines.map((line) => line.cells ?? [line.text]);
      drafts.push({
        kind: 'table',
        rows,
        text: renderTable(rows),
        provenance: { page },
      });
      continue;
    }
    for (const paragraph of splitParagraphs(block)) {
      const text = paragraph.lines.reduce((acc, line) => joinLines(acc, line.text), '');
      const size = roundSize(median(paragraph.lines.map((l) => l.size)));
      const level = stats.headingSizes.indexOf(size);
      if (level >= 0 && text.length <= HEADING_MAX_CHARS && /\p{L}{2}/u.test(text)) {
        drafts.push({ kind: 'heading', level: Math.min(level + 1, 6) as HeadingLevel, text, provenance: { page } });
      } else {
        drafts.push({ kind: 'paragraph', text, provenance: { page } });
      }
    }
  }
  return drafts;
}
