import {
  type CallOptions,
  documentHeader,
  type Loader,
  type Metadata,
  type ParsedDocument,
  type SourceDocument,
  throwIfAborted,
  WinnowError,
} from '@winnow/core';
import { type CheerioAPI, load } from 'cheerio';
import { type AnyNode, hasChildren } from 'domhandler';
import { MEDIA_TYPES } from '../../detect.js';
import { assembleNormalized, normalizeText } from '../../normalize.js';
import { htmlTagDepth } from '../nesting.js';
import { encodingMetadata, forcedCharset } from '../text.js';
import { htmlBlocks, normalizeInline } from './blocks.js';
import { decodeHtml } from './charset.js';
import { mainContent } from './main-content.js';

/** Link pruning that leaves less than this share of the content's text is undone (a page of links). */
const MIN_KEPT_SHARE = 0.2;

function pageMetadata($: CheerioAPI): Metadata {
  const out: Metadata = {};
  const title = normalizeInline($('head > title').first().text()) || $('meta[property="og:title"]').attr('content');
  if (title) out.title = title.trim();
  const canonical = $('link[rel~="canonical"]').attr('href');
  if (canonical) out.canonicalUrl = canonical.trim();
  const html = $('html').first();
  const lang = html.attr('lang') ?? html.attr('xml:lang');
  if (lang) out.lang = lang.trim();
  const description = $('meta[name="description"]').attr('content');
  if (description) out.description = normalizeInline(description);
  return out;
}

/**
 * Deepest element nesting read: the content walks recurse per level, and real pages stay far below this
 * (a 10,000-deep tree otherwise ended in a bare "Maximum call stack size exceeded").
 */
export const MAX_HTML_DEPTH = 1000;

/** The depth of the deepest element, found without recursion. */
function nestingDepth($: CheerioAPI): number {
  let deepest = 0;
  const stack: [AnyNode, number][] = $.root()
    .get()
    .map((node) => [node, 0]);
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [AnyNode, number];
    if (depth > deepest) deepest = depth;
    if (hasChildren(node)) for (const child of node.children) stack.push([child, depth + 1]);
  }
  return deepest;
}

function tooDeep(depth: string, file: string): WinnowError {
  return new WinnowError(
    'E_PARSE',
    `elements are nested ${depth} deep, over the limit of ${MAX_HTML_DEPTH} levels this loader reads`,
    { file, hint: 'the page is malformed or machine-generated; flatten it to index it' },
  );
}

function parse(html: string): CheerioAPI {
  // parse5 (cheerio's HTML parser) reports source positions, which give blocks their line ranges.
  return load(html, { sourceCodeLocationInfo: true } as Parameters<typeof load>[1]);
}

/**
 * HTML: the page's charset honoured (BOM, meta, XML declaration), the main content found (article / main /
 * [role=main], else the element holding most of the text) and stripped of chrome; title, canonical URL, lang
 * and description go into metadata.
 */
export class HtmlLoader implements Loader {
  readonly name = 'html';
  readonly mediaTypes = [MEDIA_TYPES.html, 'application/xhtml+xml'] as const;

  async load(source: SourceDocument, options: CallOptions = {}): Promise<ParsedDocument> {
    throwIfAborted(options.signal, `loading ${source.uri}`);
    let html = source.text ?? '';
    let encoding: Metadata = {};
    if (source.bytes) {
      const decoded = decodeHtml(source.bytes, source.uri, forcedCharset(source));
      html = decoded.text;
      encoding = encodingMetadata(decoded);
    }
    // Controls go before parsing: the parser turns NUL into U+FFFD, which normalising afterwards would keep.
    html = normalizeText(html, { accents: false });
    // parse5 is quadratic in depth (50,000 levels: 20 s): far over the limit fails before parsing. The margin
    // covers tags the scan counts that the parser would close.
    const scanned = htmlTagDepth(html, 2 * MAX_HTML_DEPTH);
    if (scanned > 2 * MAX_HTML_DEPTH) throw tooDeep(`more than ${2 * MAX_HTML_DEPTH}`, source.uri);
    const $ = parse(html);
    const depth = nestingDepth($);
    if (depth > MAX_HTML_DEPTH) throw tooDeep(String(depth), source.uri);
    const metadata: Metadata = { ...source.metadata, ...pageMetadata($), ...encoding };
    let content = mainContent($, { pruneLinks: true });
    let doc = $;
    if (content && content.linkPruned > 1 - MIN_KEPT_SHARE) {
      // Nothing but links (a sitemap, an index page): keep them rather than return an empty page.
      doc = parse(html);
      content = mainContent(doc, { pruneLinks: false });
    }
    const blocks = content ? htmlBlocks(doc, content.root) : [];
    const h1 = blocks.find((b) => b.kind === 'heading' && b.level === 1)?.text;
    const title = typeof metadata.title === 'string' ? metadata.title : h1;
    return assembleNormalized(documentHeader(source, metadata, title), blocks);
  }
}
