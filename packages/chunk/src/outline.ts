import type { Block, ParsedDocument } from '@winnow/core';

/** A text-bearing block with what the chunker needs to know about its place in the document. */
export interface OutlineBlock {
  block: Exclude<Block, { kind: 'pageBreak' }>;
  /** Headings in effect, outermost first; a heading's own path ends with itself. */
  path: string[];
  /** Index of the top-level section: chunks never join blocks of different groups. */
  group: number;
  /** First and last page, when the document has pages. */
  pageStart: number | undefined;
  pageEnd: number | undefined;
}

export interface Outline {
  /** Text-bearing blocks in text order. */
  blocks: OutlineBlock[];
  /** Heading depth (in the heading stack, not the markup level) that starts a top-level section. */
  topDepth: number;
  /** Offsets of every line break in the text, ascending (lines of a span by bisection, not by scanning). */
  lineBreaks: number[];
}

/** Heading text as it appears in a heading path: whitespace collapsed. */
export function headingLabel(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/**
 * Works out heading paths, top-level sections and pages.
 *
 * Heading depth is the position in the heading stack, so a document whose headings start at `##` still has
 * depth-1 sections. The top level is depth 1, except when the document opens with a lone title heading (the
 * first heading, the only one at depth 1, with subheadings under it): then its children are the top-level
 * sections, as in most Markdown files that begin with `# Title`.
 */
export function outlineDocument(doc: ParsedDocument): Outline {
  const ordered = [...doc.blocks].sort((a, b) => a.provenance.charStart - b.provenance.charStart);
  const stack: { level: number; label: string }[] = [];
  const staged: { block: OutlineBlock['block']; path: string[]; depth: number; page: number | undefined }[] = [];
  let page: number | undefined;
  for (const block of ordered) {
    if (block.kind === 'pageBreak') {
      page = block.page;
      continue;
    }
    if (block.text.trim().length === 0) continue;
    let depth = 0;
    if (block.kind === 'heading') {
      while (stack.length > 0 && (stack[stack.length - 1]?.level ?? 0) >= block.level) stack.pop();
      stack.push({ level: block.level, label: headingLabel(block.text) });
      depth = stack.length;
    }
    staged.push({ block, path: stack.map((entry) => entry.label), depth, page });
  }
  const headingDepths = staged.filter((entry) => entry.depth > 0).map((entry) => entry.depth);
  const loneTitle =
    headingDepths[0] === 1 && headingDepths.filter((depth) => depth === 1).length === 1 && headingDepths.includes(2);
  const topDepth = loneTitle ? 2 : 1;
  let group = 0;
  const blocks = staged.map((entry): OutlineBlock => {
    if (entry.depth > 0 && entry.depth <= topDepth) group += 1;
    const pageStart = entry.block.provenance.page ?? entry.page;
    const pageEnd = entry.block.provenance.pageEnd ?? pageStart;
    return { block: entry.block, path: entry.path, group, pageStart, pageEnd };
  });
  const lineBreaks: number[] = [];
  for (let at = doc.text.indexOf('\n'); at !== -1; at = doc.text.indexOf('\n', at + 1)) lineBreaks.push(at);
  return { blocks, topDepth, lineBreaks };
}

/** The longest common prefix of heading paths. */
export function commonPath(paths: readonly (readonly string[])[]): string[] {
  const [first, ...rest] = paths;
  if (first === undefined) return [];
  let length = first.length;
  for (const path of rest) {
    let same = 0;
    while (same < length && same < path.length && path[same] === first[same]) same += 1;
    length = same;
  }
  return first.slice(0, length);
}
