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
/** A header must recur on at least this share of pages (odd and even pages often differ). */
const MIN_PAGE_SHARE = 0.4;

const PAGE_NUMBER =
  /^(?:(?:page|p\.|seite|pagina|página)\s*)?[-–—]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[-–—]?(?:\s*(?:of|\/|von|de)\s*\d{1,4})?$/iu;

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

/** Removes furniture lines in place (emptied blocks are dropped) and drops repeated stray text. */
export function removeFurniture(pages: PageLayout[]): void {
  const pagesWith = new Map<string, Set<number>>();
  const note = (k: string, page: number) => {
    const set = pagesWith.get(k) ?? new Set<number>();
    set.add(page);
    pagesWith.set(k, set);
  };
  for (const page of pages) {
    for (const block of page.blocks) {
      for (const line of block.lines) {
        const edge = edgeOf(line, page.height);
        if (edge) note(`${edge}:${key(line.text)}`, page.page);
      }
    }
    for (const stray of page.strays) note(`stray:${key(stray)}`, page.page);
  }
  const minPages = Math.max(2, Math.ceil(MIN_PAGE_SHARE * pages.length));
  const repeated = (k: string) => (pagesWith.get(k)?.size ?? 0) >= minPages;
  for (const page of pages) {
    for (const block of page.blocks) {
      block.lines = block.lines.filter((line) => {
        const edge = edgeOf(line, page.height);
        if (!edge) return true;
        return !(isPageNumber(line.text) || repeated(`${edge}:${key(line.text)}`));
      });
    }
    page.blocks = page.blocks.filter((block) => block.lines.length > 0);
    page.strays = page.strays.filter((stray) => !repeated(`stray:${key(stray)}`));
  }
}
