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

const LINE_END_HYPHEN = /(\p{L}+)[-\u2010]$/u;
const LEADING_WORD = /^\p{L}+/u;
const WORD_OR_COMPOUND = /\p{L}+(?:[-\u2010]\p{L}+)*/gu;

/**
 * What the document itself says about words broken at a line end by a hyphen (no dictionary): the words and the
 * hyphenated compounds it uses elsewhere, leaving out the pieces around each line-end hyphen.
 */
export class HyphenEvidence {
  readonly words = new Set<string>();
  readonly compounds = new Set<string>();

  /** From every block's lines in reading order. */
  static fromLines(blocks: Iterable<readonly Line[]>): HyphenEvidence {
    const evidence = new HyphenEvidence();
    for (const lines of blocks) {
      let afterHyphen = false;
      for (const line of lines) {
        let text = line.text;
        // The continuation of a broken word and the broken part are not evidence of themselves.
        if (afterHyphen) text = text.replace(LEADING_WORD, '');
        afterHyphen = LINE_END_HYPHEN.test(text);
        if (afterHyphen) text = text.replace(LINE_END_HYPHEN, '');
        for (const [token] of text.matchAll(WORD_OR_COMPOUND)) {
          const lower = token.toLowerCase().replace(/\u2010/gu, '-');
          const parts = lower.split('-');
          for (let i = 1; i < parts.length; i += 1) evidence.compounds.add(`${parts[i - 1]}-${parts[i]}`);
          for (const part of parts) evidence.words.add(part);
        }
      }
    }
    return evidence;
  }

  /**
   * Whether `left-` at a line end and `right` on the next line are a compound whose hyphen is real: the joined
   * word is not used in the document, and the hyphenated pair is, or both parts are words of their own.
   */
  keepsHyphen(left: string, right: string): boolean {
    const l = left.toLowerCase();
    const r = right.toLowerCase();
    if (this.words.has(l + r)) return false;
    if (this.compounds.has(`${l}-${r}`)) return true;
    return l.length > 1 && r.length > 1 && this.words.has(l) && this.words.has(r);
  }
}

/**
 * Joins two lines of one paragraph, repairing a word broken by a hyphen at the end of the first. A hyphen before
 * a lower-case continuation is a break (dropped) unless the document's `evidence` says the compound is real
 * (`odd-` + `numbered` where "odd-numbered" or both words occur elsewhere).
 */
export function joinLines(first: string, second: string, evidence?: HyphenEvidence): string {
  if (first.length === 0) return second;
  if (first.endsWith('\u00ad')) return first.slice(0, -1) + second;
  const broken = LINE_END_HYPHEN.exec(first);
  if (broken && /^\p{Ll}/u.test(second)) {
    const right = LEADING_WORD.exec(second)?.[0] ?? '';
    if (evidence?.keepsHyphen(broken[1] ?? '', right)) return first + second;
    return first.slice(0, -1) + second;
  }
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
export function pageDrafts(
  blocks: readonly LayoutBlock[],
  stats: TextStyleStats,
  page: number,
  evidence?: HyphenEvidence,
): DraftBlock[] {
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
      const text = paragraph.lines.reduce((acc, line) => joinLines(acc, line.text, evidence), '');
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
