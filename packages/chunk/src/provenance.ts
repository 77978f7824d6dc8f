import type { ChunkProvenance } from '@winnow/core';
import { commonPath, type Outline, type OutlineBlock } from './outline.js';
import { trimRange } from './segment.js';

export interface SpanDescription {
  headingPath: string[];
  provenance: ChunkProvenance;
  /** The span begins with the heading that ends its heading path (a context prefix need not repeat it). */
  opensWithOwnHeading: boolean;
}

/**
 * Heading path and provenance of a span of the document's text. The heading path is the common part of the
 * paths of every block the span touches. Pages are every page of those blocks. Lines come from the blocks'
 * source line ranges; inside a block they are found by counting line breaks in its text, which is exact where
 * the block's text keeps the source's lines (paragraphs, code) and approximate otherwise.
 */
export function describeSpan(text: string, outline: Outline, start: number, end: number): SpanDescription {
  const touched = touchedBlocks(outline.blocks, start, end);
  const provenance: ChunkProvenance = { charStart: start, charEnd: end };
  const pages = new Set<number>();
  let lineStart: number | undefined;
  let lineEnd: number | undefined;
  for (const entry of touched) {
    if (entry.pageStart !== undefined) {
      for (let page = entry.pageStart; page <= (entry.pageEnd ?? entry.pageStart); page += 1) pages.add(page);
    }
    const { provenance: block } = entry.block;
    if (block.lineStart === undefined) continue;
    const last = block.lineEnd ?? block.lineStart;
    const lineAt = (offset: number): number =>
      Math.min(last, (block.lineStart as number) + countLineBreaks(outline.lineBreaks, block.charStart, offset));
    const first = lineAt(Math.max(start, block.charStart));
    const final = lineAt(Math.max(block.charStart, Math.min(end, block.charEnd) - 1));
    lineStart = lineStart === undefined ? first : Math.min(lineStart, first);
    lineEnd = lineEnd === undefined ? final : Math.max(lineEnd, final);
  }
  if (pages.size > 0) {
    const sorted = [...pages].sort((a, b) => a - b);
    provenance.page = sorted[0] as number;
    const lastPage = sorted[sorted.length - 1] as number;
    if (lastPage !== provenance.page) provenance.pageEnd = lastPage;
    provenance.pages = sorted;
  }
  if (lineStart !== undefined && lineEnd !== undefined) {
    provenance.lineStart = lineStart;
    provenance.lineEnd = lineEnd;
  }
  const headingPath = commonPath(touched.map((entry) => entry.path));
  const opening = touched[0];
  const opensWithOwnHeading =
    opening !== undefined &&
    opening.block.kind === 'heading' &&
    opening.path.length === headingPath.length &&
    trimRange(text, opening.block.provenance.charStart, opening.block.provenance.charEnd)?.start === start;
  return { headingPath, provenance, opensWithOwnHeading };
}

/** Blocks whose text intersects [start, end); blocks are in text order and do not overlap. */
export function touchedBlocks(blocks: readonly OutlineBlock[], start: number, end: number): OutlineBlock[] {
  let lo = 0;
  let hi = blocks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((blocks[mid] as OutlineBlock).block.provenance.charEnd <= start) lo = mid + 1;
    else hi = mid;
  }
  const touched: OutlineBlock[] = [];
  for (let index = lo; index < blocks.length; index += 1) {
    const entry = blocks[index] as OutlineBlock;
    if (entry.block.provenance.charStart >= end) break;
    touched.push(entry);
  }
  return touched;
}

/** Line breaks at offsets in [from, to). */
function countLineBreaks(lineBreaks: readonly number[], from: number, to: number): number {
  return firstAtOrAfter(lineBreaks, to) - firstAtOrAfter(lineBreaks, from);
}

function firstAtOrAfter(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
