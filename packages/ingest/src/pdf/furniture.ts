/**
 * Page furniture: running headers and footers, page numbers and margin stamps. A line near the top or bottom
 * edge whose text (digits masked, so "Page 3" matches "Page 4") recurs on many pages is furniture, as is a
 * bare page number there.
 */
import type { LayoutBlock, Line } from './layout.js';

export interface PageLayout {
  page: number;
  height: number;
  blocks: LayoutBlock[];
  /** Text at another angle than the page's (see runs.ts). */
  strays: string[];
}

/** Share of the page height, at the top and at the bottom, where headers and footers live. */
const EDGE_SHARE = 0.12;
/** A header must recur on at least this share of pages (odd and even pages often differ)... */
const MIN_PAGE_SHARE = 0.4;
/** ...or be the very same outermost line of at least this many pages (a chapter's running header). */
const MIN_OUTER_REPEATS = 3;

/** "12", "- 12 -", "Page 3 of 9", "Page 1 sur 1", "Seite 2 von 5", "Страница 1 из 3", "iv", "3/9". */
const PAGE_NUMBER =
  /^(?:(?:page|p\.|seite|pagina|página|pág\.|strona|side|sida|sivu|страница|стр\.|σελίδα|sayfa)\s*)?[-–—]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[-–—]?(?:\s*(?:of|\/|von|de|sur|di|van|af|av|z|из|από|\/)\s*\d{1,4})?$/iu;
/**
 * What a browser prints in the page margins (an address; a date and time) and nothing else on the line: furniture
 * even on a one-page printout, where no line can recur.
 */
const PRINT_MARGIN = [
  /^(?:https?|file):\/\/\S+$/iu,
  /^\d{1,4}[./-]\d{1,2}[./-]\d{1,4},?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?$/iu,
];

function key(text: string): string {
  return text.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ').trim();
}

function edgeOf(line: Line, height: number): 'top' | 'bottom' | undefined {
  if (line.y1 <= height * EDGE_SHARE) return 'top';
  if (line.y0 >= height * (1 - EDGE_SHARE)) return 'bottom';
  return undefined;
}

export function isPageNumber(text: string): boolean {
  return PAGE_NUMBER.test(text.trim());
}

/**
 * A journal's first-page footer: a copyright line, a DOI or ISSN line. Near the bottom edge these are furniture
 * though they appear on one page only.
 */
const JOURNAL_FOOTER = [
  /^(?:©|\(c\)|copyright\b)/iu,
  /^(?:https?:\/\/(?:dx\.)?doi\.org\/|doi:?\s*)10\.\d{4,9}\/\S+/iu,
  /\bISSN\s*:?\s*\d{4}-\d{3}[\dX]\b/iu,
];
const JOURNAL_FOOTER_MAX_CHARS = 160;

export function isJournalFooter(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.length <= JOURNAL_FOOTER_MAX_CHARS && JOURNAL_FOOTER.some((pattern) => pattern.test(trimmed));
}

export function isPrintMargin(text: string): boolean {
  const trimmed = text.trim();
  return PRINT_MARGIN.some((pattern) => pattern.test(trimmed));
}

/** The topmost and bottommost lines of a page: where running headers and footers sit. */
function outermost(page: PageLayout): Set<Line> {
  const lines = page.blocks.flatMap((b) => b.lines);
  const out = new Set<Line>();
  if (lines.length < 2) return out;
  const top = Math.min(...lines.map((l) => l.y0));
  const bottom = Math.max(...lines.map((l) => l.y1));
  for (const line of lines) {
    if (line.y0 - top < 0.5 * line.size || bottom - line.y1 < 0.5 * line.size) out.add(line);
  }
  return out;
}

/**
 * Removes furniture lines in place (emptied blocks are dropped) and repeated stray text. Two kinds of
 * repetition count: text near an edge that recurs (digits masked) on a good share of all pages, and the exact
 * same outermost line on a few pages, which catches chapter headers that change through a long document.
 */
export function removeFurniture(pages: PageLayout[]): void {
  const pagesWith = new Map<string, Set<number>>();
  const note = (k: string, page: number) => {
    const set = pagesWith.get(k) ?? new Set<number>();
    set.add(page);
    pagesWith.set(k, set);
  };
  const outer = new Map<PageLayout, Set<Line>>();
  for (const page of pages) {
    const edges = outermost(page);
    outer.set(page, edges);
    for (const block of page.blocks) {
      for (const line of block.lines) {
        const edge = edgeOf(line, page.height);
        if (edge) note(`${edge}:${key(line.text)}`, page.page);
        if (edge && edges.has(line)) note(`outer:${line.text}`, page.page);
      }
    }
    for (const stray of page.strays) note(`stray:${key(stray)}`, page.page);
  }
  const minPages = Math.max(2, Math.ceil(MIN_PAGE_SHARE * pages.length));
  const count = (k: string) => pagesWith.get(k)?.size ?? 0;
  for (const page of pages) {
    const edges = outer.get(page) ?? new Set<Line>();
    for (const block of page.blocks) {
      block.lines = block.lines.filter((line) => {
        const edge = edgeOf(line, page.height);
        if (!edge) return true;
        if (isPageNumber(line.text) || isPrintMargin(line.text)) return false;
        if (edge === 'bottom' && isJournalFooter(line.text)) return false;
        if (count(`${edge}:${key(line.text)}`) >= minPages) return false;
        return !(edges.has(line) && count(`outer:${line.text}`) >= MIN_OUTER_REPEATS);
      });
    }
    page.blocks = page.blocks.filter((block) => block.lines.length > 0);
    page.strays = page.strays.filter((stray) => count(`stray:${key(stray)}`) < minPages);
  }
}

/**
 * Slide overlays (beamer `\pause`, `\only`): a page whose every line is again on the next page, in the same
 * order, is an earlier state of that slide, and its text would be indexed twice. Its blocks are dropped (its page
 * break stays). Pages of one or no line are left alone.
 */
export function removeOverlays(pages: PageLayout[]): void {
  for (let index = 0; index + 1 < pages.length; index += 1) {
    const page = pages[index] as PageLayout;
    const lines = page.blocks.flatMap((block) => block.lines.map((line) => line.text.trim())).filter(Boolean);
    if (lines.length < 2) continue;
    const next = (pages[index + 1] as PageLayout).blocks.flatMap((block) =>
      block.lines.map((line) => line.text.trim()),
    );
    let at = 0;
    for (const line of next) if (line === lines[at]) at += 1;
    if (at === lines.length) page.blocks = [];
  }
}
