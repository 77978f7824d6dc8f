import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assembleDocument,
  type Chunk,
  type DraftBlock,
  type HeadingLevel,
  type ParsedDocument,
  type TokenCounter,
} from '@winnow/core';
import type { Root, RootContent } from 'mdast';
import { toString as mdastText } from 'mdast-util-to-string';
import remarkFrontmatter from 'remark-frontmatter';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { createTransformersTokenCounter, type ModelTokenCounter } from '../src/index.js';

export const MODELS_DIR = process.env.WINNOW_MODELS || '/work/shared/models';
export const CORPORA_DIR = '/work/shared/corpora';

let miniLm: Promise<ModelTokenCounter> | undefined;
/** The real all-MiniLM-L6-v2 tokenizer from the shared model folder (loaded once per test file). */
export function miniLmCounter(): Promise<ModelTokenCounter> {
  miniLm ??= createTransformersTokenCounter('all-MiniLM-L6-v2', { modelsDir: MODELS_DIR });
  return miniLm;
}

export function header(id: string, title?: string): Parameters<typeof assembleDocument>[0] {
  return {
    id,
    uri: `file:///docs/${id}`,
    mediaType: 'text/markdown',
    ...(title === undefined ? {} : { title }),
    metadata: { source: 'test', tags: ['a', 'b'] },
    contentHash: `hash-of-${id}`,
  };
}

/** A Markdown file as a loader would parse it: one block per top-level node, with source lines. */
export function markdownDocument(path: string, id: string): ParsedDocument {
  const source = readFileSync(path, 'utf8');
  const tree = unified().use(remarkParse).use(remarkGfm).use(remarkFrontmatter, ['yaml']).parse(source) as Root;
  let title: string | undefined;
  const drafts: DraftBlock[] = [];
  const visit = (node: RootContent): void => {
    const lines = { lineStart: node.position?.start.line ?? 1, lineEnd: node.position?.end.line ?? 1 };
    switch (node.type) {
      case 'yaml': {
        // The corpus front matter is flat `key: value` lines; a title line is all these tests need.
        title = /^title:\s*(.+)$/m.exec(node.value)?.[1]?.trim();
        return;
      }
      case 'heading':
        drafts.push({ kind: 'heading', level: node.depth as HeadingLevel, text: mdastText(node), provenance: lines });
        return;
      case 'code':
        drafts.push({
          kind: 'code',
          text: node.value,
          provenance: lines,
          ...(node.lang ? { language: node.lang } : {}),
        });
        return;
      case 'list': {
        const items = node.children.map((item) => mdastText(item, { includeHtml: false }));
        drafts.push({ kind: 'list', ordered: node.ordered === true, items, text: items.join('\n'), provenance: lines });
        return;
      }
      case 'table': {
        const rows = node.children.map((row) => row.children.map((cell) => mdastText(cell)));
        drafts.push({ kind: 'table', rows, text: rows.map((row) => row.join(' | ')).join('\n'), provenance: lines });
        return;
      }
      case 'blockquote':
        for (const child of node.children) visit(child);
        return;
      case 'thematicBreak':
      case 'definition':
        return;
      default:
        drafts.push({ kind: 'paragraph', text: mdastText(node).trim(), provenance: lines });
    }
  };
  for (const node of tree.children) visit(node);
  return assembleDocument(header(id, title), drafts);
}

export function corpusFile(...parts: string[]): string {
  return join(CORPORA_DIR, ...parts);
}

/** Every invariant a chunk list must keep, as a list of violations (empty when all hold). */
export function chunkViolations(
  doc: ParsedDocument,
  chunks: readonly Chunk[],
  counter: TokenCounter,
  maxTokens: number,
): string[] {
  const problems: string[] = [];
  for (const chunk of chunks) {
    const where = `chunk ${chunk.ordinal}`;
    const { charStart, charEnd } = chunk.provenance;
    if (doc.text.slice(charStart, charEnd) !== chunk.text)
      problems.push(`${where}: text is not the slice of its offsets`);
    const tokens = counter.count(chunk.text);
    if (tokens !== chunk.tokenCount) problems.push(`${where}: tokenCount ${chunk.tokenCount}, counted ${tokens}`);
    if (tokens > maxTokens) problems.push(`${where}: ${tokens} tokens > ${maxTokens}`);
    if (chunk.embedText !== undefined && counter.count(chunk.embedText) > maxTokens) {
      problems.push(`${where}: embed text over ${maxTokens} tokens`);
    }
    if (chunk.text.trim().length === 0) problems.push(`${where}: empty`);
  }
  return problems;
}
