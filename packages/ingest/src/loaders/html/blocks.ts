/**
 * Walks the main content in document order and emits blocks: headings, paragraphs (including loose text in
 * containers), code, lists, tables. Line ranges come from the parser's source locations.
 */
import type { DraftBlock, HeadingLevel } from '@winnow/core';
import type { CheerioAPI } from 'cheerio';
import { type AnyNode, type Element, isTag, isText } from 'domhandler';
import { isUnspaced } from '../../script.js';
import { renderList, renderTable } from '../render.js';

const HEADINGS: Record<string, HeadingLevel> = { h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 };

/** Elements that end the current run of inline text and are walked into. */
const CONTAINERS = new Set([
  'address',
  'article',
  'blockquote',
  'body',
  'center',
  'details',
  'div',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'header',
  'hgroup',
  'html',
  'li',
  'main',
  'section',
  'summary',
  'caption',
  'dd',
  'dt',
  'td',
  'th',
  'tr',
  'tbody',
  'thead',
  'tfoot',
]);

interface Location {
  startLine?: number;
  endLine?: number;
}

function location(node: AnyNode): Location {
  const loc = (node as { sourceCodeLocation?: { startLine?: number; endLine?: number } | null }).sourceCodeLocation;
  return loc ? { startLine: loc.startLine, endLine: loc.endLine } : {};
}

function lineRange(first: AnyNode, last: AnyNode = first): { lineStart?: number; lineEnd?: number } {
  const start = location(first).startLine;
  const end = location(last).endLine;
  return start === undefined || end === undefined ? {} : { lineStart: start, lineEnd: end };
}

/**
 * Collapses whitespace; a line break between two CJK characters is dropped rather than made a space
 * (Japanese and Chinese sources wrap lines inside sentences).
 */
export function normalizeInline(text: string): string {
  return text
    .replace(/(\S)[ \t]*\n\s*(\S)/gu, (match, a: string, b: string) => (isUnspaced(a) && isUnspaced(b) ? a + b : match))
    .replace(/\s+/g, ' ')
    .trim();
}

class BlockWriter {
  readonly blocks: DraftBlock[] = [];
  #buffer = '';
  #first: AnyNode | undefined;
  #last: AnyNode | undefined;

  constructor(private readonly $: CheerioAPI) {}

  inline(text: string, node: AnyNode): void {
    this.#buffer += text;
    this.#first ??= node;
    this.#last = node;
  }

  flush(): void {
    const text = normalizeInline(this.#buffer);
    if (text && this.#first) {
      this.blocks.push({ kind: 'paragraph', text, provenance: lineRange(this.#first, this.#last) });
    }
    this.#buffer = '';
    this.#first = undefined;
    this.#last = undefined;
  }

  text(el: Element): string {
    return normalizeInline(this.$(el).text());
  }

  walk(node: AnyNode): void {
    if (isText(node)) {
      this.inline(node.data, node);
      return;
    }
    if (!isTag(node)) return;
    const name = node.name;
    const level = HEADINGS[name];
    if (level) {
      this.flush();
      this.blocks.push({ kind: 'heading', level, text: this.text(node), provenance: lineRange(node) });
    } else if (name === 'p') {
      this.flush();
      this.blocks.push({ kind: 'paragraph', text: this.text(node), provenance: lineRange(node) });
    } else if (name === 'pre') {
      this.flush();
      this.code(node);
    } else if (name === 'ul' || name === 'ol' || name === 'menu' || name === 'dir') {
      this.flush();
      this.list(node, name === 'ol');
    } else if (name === 'dl') {
      this.flush();
      this.definitions(node);
    } else if (name === 'table' && !this.isLayoutTable(node)) {
      this.flush();
      this.table(node);
    } else if (name === 'br') {
      this.inline('\n', node);
    } else if (name === 'hr') {
      this.flush();
    } else if (CONTAINERS.has(name) || name === 'table') {
      this.flush();
      for (const child of node.children) this.walk(child);
      this.flush();
    } else {
      for (const child of node.children) this.walk(child);
    }
  }

  code(el: Element): void {
    const $el = this.$(el);
    const classes = `${el.attribs.class ?? ''} ${$el.children('code').attr('class') ?? ''}`;
    const language = /(?:^|\s)(?:lang|language)-([\w+#.-]+)/.exec(classes)?.[1];
    const text = $el.text().replace(/^\n/, '').replace(/\s+$/, '');
    if (text.trim())
      this.blocks.push({ kind: 'code', text, ...(language ? { language } : {}), provenance: lineRange(el) });
  }

  list(el: Element, ordered: boolean): void {
    const items = this.$(el)
      .children('li')
      .toArray()
      .map((li) => (isTag(li) ? this.text(li) : ''))
      .filter((t) => t.length > 0);
    if (items.length === 0) return;
    const start = Number.parseInt(el.attribs.start ?? '1', 10);
    this.blocks.push({
      kind: 'list',
      ordered,
      items,
      text: renderList(items, ordered, Number.isFinite(start) ? start : 1),
      provenance: lineRange(el),
    });
  }

  definitions(el: Element): void {
    const items: string[] = [];
    for (const child of el.children) {
      if (!isTag(child)) continue;
      const text = this.text(child);
      if (!text) continue;
      if (child.name === 'dt' || items.length === 0) items.push(text);
      else items[items.length - 1] += `: ${text}`;
    }
    if (items.length > 0) {
      this.blocks.push({
        kind: 'list',
        ordered: false,
        items,
        text: renderList(items, false),
        provenance: lineRange(el),
      });
    }
  }

  /** A table whose cells hold paragraphs or headings is page layout, not data: its content is walked. */
  isLayoutTable(el: Element): boolean {
    return this.$(el).find('td p, td h1, td h2, td h3, td pre, td table, td div').length > 0;
  }

  table(el: Element): void {
    const rows = this.$(el)
      .find('tr')
      .toArray()
      .filter((tr) => isTag(tr) && this.$(tr).closest('table').get(0) === el)
      .map((tr) =>
        this.$(tr)
          .children('th, td')
          .toArray()
          .map((cell) => (isTag(cell) ? this.text(cell) : '')),
      )
      .filter((cells) => cells.some((c) => c.length > 0));
    if (rows.length > 0) this.blocks.push({ kind: 'table', rows, text: renderTable(rows), provenance: lineRange(el) });
  }
}

/** The blocks of an element's content, in document order. */
export function htmlBlocks($: CheerioAPI, root: Element): DraftBlock[] {
  const writer = new BlockWriter($);
  writer.walk(root);
  writer.flush();
  return writer.blocks.filter((b) => b.text.length > 0);
}
