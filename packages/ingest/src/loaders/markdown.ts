import {
  type CallOptions,
  type DraftBlock,
  documentHeader,
  type HeadingLevel,
  type JsonValue,
  type Loader,
  type Metadata,
  type ParsedDocument,
  type SourceDocument,
  throwIfAborted,
  WinnowError,
} from '@winnow/core';
import type { Blockquote, List, Nodes, Root, RootContent, Table } from 'mdast';
import { toString as mdastText } from 'mdast-util-to-string';
import { parse as parseYaml } from 'yaml';
import { MEDIA_TYPES } from '../detect.js';
import { assembleNormalized, normalizeText } from '../normalize.js';
import { type LineMap, prepareMarkdown, stripAttributeList } from './markdown-dialects.js';
import { parseMarkdown } from './markdown-parse.js';
import { MAX_MARKDOWN_DEPTH, markdownDepth } from './nesting.js';
import { renderList, renderTable } from './render.js';
import { sourceText } from './text.js';

/** MDX (Docusaurus) puts ES module imports/exports in Markdown; they are code for the site, not content. */
const MDX_STATEMENT = /^(?:import|export)\s[^\n]*(?:from\s+)?['"][^'"]+['"];?\s*$/;
/** Docusaurus admonition fences (`:::tip Title` … `:::`): the markers go, a title stays. */
const ADMONITION = /^:::\s*[\w-]*\s*/;

let lineMap: LineMap = (line) => line;

function lines(node: Nodes): { lineStart?: number; lineEnd?: number } {
  const start = node.position?.start.line;
  const end = node.position?.end.line;
  return start === undefined || end === undefined ? {} : { lineStart: lineMap(start), lineEnd: lineMap(end) };
}

/** HTML comments (`<!-- md:version 1.2 -->` annotations of Material for MkDocs) are not text. */
const HTML_COMMENT = /<!--[\s\S]*?(?:-->|$)/g;

function cleanParagraph(text: string): string {
  return text
    .split('\n')
    .filter((line) => !MDX_STATEMENT.test(line.trim()))
    .map((line) => (line.startsWith(':::') ? line.replace(ADMONITION, '') : line))
    .join('\n')
    .trim();
}

function toJson(value: unknown): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toJson(v)]));
  }
  return String(value);
}

function frontMatter(yamlText: string, file: string): Metadata {
  let data: unknown;
  try {
    data = parseYaml(yamlText);
  } catch (error) {
    throw new WinnowError('E_PARSE', `invalid YAML front matter: ${(error as Error).message.split('\n')[0]}`, {
      file,
      field: 'front matter',
      cause: error,
    });
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new WinnowError('E_PARSE', 'front matter must be a YAML mapping', { file, field: 'front matter' });
  }
  return toJson(data) as Metadata;
}

function tableBlock(node: Table): DraftBlock {
  const rows = node.children.map((row) => row.children.map((cell) => mdastText(cell).trim()));
  return { kind: 'table', rows, text: renderTable(rows), provenance: lines(node) };
}

function listBlock(node: List): DraftBlock {
  const items = node.children.map((item) =>
    item.children
      .map((child) => mdastText(child).trim())
      .filter((t) => t.length > 0)
      .join('\n'),
  );
  const ordered = node.ordered === true;
  return {
    kind: 'list',
    ordered,
    items,
    text: renderList(items, ordered, node.start ?? 1),
    provenance: lines(node),
  };
}

/** Walks block-level nodes in document order, descending into block quotes. */
function collect(nodes: readonly RootContent[], out: DraftBlock[], meta: { front?: string }): void {
  for (const node of nodes) {
    switch (node.type) {
      case 'yaml':
        meta.front ??= node.value;
        break;
      case 'heading':
        // Inline HTML (comments, tags) and a trailing `{ #id .class }` attribute list are markup, not heading text.
        out.push({
          kind: 'heading',
          level: node.depth as HeadingLevel,
          text: stripAttributeList(mdastText(node, { includeHtml: false })),
          provenance: lines(node),
        });
        break;
      case 'paragraph':
        out.push({
          kind: 'paragraph',
          text: cleanParagraph(mdastText(node).replace(HTML_COMMENT, '')),
          provenance: lines(node),
        });
        break;
      case 'code':
        out.push({
          kind: 'code',
          text: node.value,
          ...(node.lang ? { language: node.lang } : {}),
          provenance: lines(node),
        });
        break;
      case 'list':
        out.push(listBlock(node));
        break;
      case 'table':
        out.push(tableBlock(node));
        break;
      case 'blockquote':
        collect((node as Blockquote).children, out, meta);
        break;
      case 'footnoteDefinition':
        collect(node.children, out, meta);
        break;
      case 'html': {
        // Raw HTML (and MDX components like <Foo />): keep any text it carries.
        const text = node.value
          .replace(HTML_COMMENT, ' ')
          .replace(/<[^>]*>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim();
        if (text) out.push({ kind: 'paragraph', text, provenance: lines(node) });
        break;
      }
      default:
        break;
    }
  }
}

/**
 * Markdown (CommonMark + GFM) with YAML front matter: headings with levels, paragraphs, lists, fenced code
 * with its language, tables as rows; front matter becomes metadata and `title` (else the first h1) the title.
 */
export class MarkdownLoader implements Loader {
  readonly name = 'markdown';
  readonly mediaTypes = [MEDIA_TYPES.markdown] as const;

  async load(source: SourceDocument, options: CallOptions = {}): Promise<ParsedDocument> {
    throwIfAborted(options.signal, `loading ${source.uri}`);
    const { text, metadata: decoding } = sourceText(source);
    let tree: Root;
    // Controls go before parsing: the parser turns NUL into U+FFFD, which normalising afterwards would keep.
    const prepared = prepareMarkdown(normalizeText(text, { accents: false }));
    if (markdownDepth(prepared.text, MAX_MARKDOWN_DEPTH) > MAX_MARKDOWN_DEPTH) {
      throw new WinnowError(
        'E_PARSE',
        `lists and block quotes are nested more than ${MAX_MARKDOWN_DEPTH} levels deep, the Markdown nesting limit of this loader`,
        { file: source.uri, hint: 'the file is malformed or machine-generated; flatten it to index it' },
      );
    }
    try {
      tree = await parseMarkdown(prepared.text, options.signal);
    } catch (error) {
      // A budget or abort stops the parse: the caller turns that into E_TIMEOUT or E_ABORTED.
      if (options.signal?.aborted) throw error;
      throw new WinnowError('E_PARSE', `the Markdown cannot be parsed: ${(error as Error).message}`, {
        file: source.uri,
        cause: error,
      });
    }
    const drafts: DraftBlock[] = [];
    const meta: { front?: string } = {};
    // Set only around the synchronous walk: another document's load may run while this one awaits its parse.
    lineMap = prepared.lineOf;
    try {
      collect(tree.children, drafts, meta);
    } finally {
      lineMap = (line) => line;
    }
    const front = meta.front === undefined ? {} : frontMatter(meta.front, source.uri);
    const metadata: Metadata = { ...source.metadata, ...front, ...decoding };
    const h1 = drafts.find((d) => d.kind === 'heading' && d.level === 1)?.text;
    const title = typeof front.title === 'string' ? front.title : h1;
    return assembleNormalized(documentHeader(source, metadata, title), drafts);
  }
}
