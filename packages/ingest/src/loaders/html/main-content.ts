/**
 * Finds a page's main content and strips the chrome around and inside it: navigation, headers, footers,
 * sidebars, cookie banners, language switchers, comment sections and link-dense boxes.
 */
import type { CheerioAPI } from 'cheerio';
import { type AnyNode, type Element, isTag, isText } from 'domhandler';

/** Never content, wherever they are. */
const ALWAYS_DROP = [
  'script',
  'style',
  'noscript',
  'template',
  'iframe',
  'object',
  'embed',
  'svg',
  'canvas',
  'form',
  'button',
  'input',
  'select',
  'textarea',
  'dialog',
  'nav',
  'aside',
  '[hidden]',
  '[aria-hidden="true"]',
  '[role="navigation"]',
  '[role="banner"]',
  '[role="contentinfo"]',
  '[role="complementary"]',
  '[role="search"]',
  '[role="dialog"]',
].join(', ');

const COOKIE = /cookie|consent|gdpr/i;

/**
 * Permalink anchors that documentation generators put in headings: Sphinx and MkDocs `headerlink`, Jupyter
 * `anchor-link`, AnchorJS, VuePress/VitePress `header-anchor`, Docusaurus `hash-link`, GitHub-style
 * `anchor`/`heading-anchor`.
 */
const PERMALINK_CLASSES = [
  'headerlink',
  'anchor-link',
  'anchorjs-link',
  'header-anchor',
  'hash-link',
  'heading-anchor',
  'header-link',
  'permalink',
];
/** Text of a permalink anchor: ¶ § # 🔗 ⚓ link symbols, or icon-font glyphs (private-use characters). */
const PERMALINK_GLYPHS = /^[\s¶§#🔗⚓\u{1F517}\p{Co}]*$/u;
const PRIVATE_USE = /\p{Co}/gu;
const HAS_PRIVATE_USE = /\p{Co}/u;

/**
 * Removes permalink anchors (by class, or a fragment link whose text is only a permalink glyph) and icon-font
 * glyphs (private-use characters) from headings, definition terms and captions, so `csv.reader(…)¶` and
 * `Install \uf0c1` come out as `csv.reader(…)` and `Install`.
 */
export function dropPermalinks($: CheerioAPI): void {
  $(PERMALINK_CLASSES.map((name) => `a.${name}`).join(', ')).remove();
  $('a[href^="#"]').each((_, el) => {
    if (PERMALINK_GLYPHS.test($(el).text())) $(el).remove();
  });
  $('h1, h2, h3, h4, h5, h6, dt, caption, figcaption').each((_, el) => {
    for (const node of $(el).find('*').addBack().contents().toArray()) {
      if (isText(node) && HAS_PRIVATE_USE.test(node.data)) node.data = node.data.replace(PRIVATE_USE, '');
    }
  });
}

/** class/id words that mark page chrome (after Readability's "unlikely candidates"). */
const CHROME_WORDS = new Set([
  'nav',
  'navbar',
  'navigation',
  'menu',
  'menubar',
  'breadcrumb',
  'breadcrumbs',
  'sidebar',
  'footer',
  'header',
  'masthead',
  'banner',
  'toolbar',
  'share',
  'sharing',
  'social',
  'comment',
  'comments',
  'disqus',
  'advert',
  'advertisement',
  'ads',
  'sponsor',
  'sponsored',
  'promo',
  'popup',
  'modal',
  'newsletter',
  'subscribe',
  'pagination',
  'pager',
  'skiplink',
]);
/** ...unless these words say the element is the content itself (e.g. `post-header-content`). */
const CONTENT_WORDS = new Set(['content', 'article', 'main', 'body', 'post', 'entry', 'story']);

/** A box whose text is more than this share link text is a menu or link list. */
const MAX_LINK_DENSITY = 0.5;
/** Besides its links, a language switcher has at most a label ("Available languages:"). */
const SWITCHER_MAX_LABEL = 40;
/** The main container holds at least this share of the page's text weight; a child with more is tried. */
const DOMINANT_SHARE = 0.7;

function words(el: Element): string[] {
  const attrs = `${el.attribs.class ?? ''} ${el.attribs.id ?? ''}`.toLowerCase();
  return attrs.split(/[^a-z0-9]+/).filter((w) => w.length > 0);
}

function isChrome(el: Element): boolean {
  const ws = words(el);
  return ws.some((w) => CHROME_WORDS.has(w)) && !ws.some((w) => CONTENT_WORDS.has(w));
}

function isCookieBanner(el: Element): boolean {
  return COOKIE.test(`${el.attribs.class ?? ''} ${el.attribs.id ?? ''}`);
}

interface TextSize {
  all: number;
  links: number;
}

/** Text lengths (whitespace excluded) of every element, computed bottom-up in one pass. */
function measure(root: AnyNode, sizes: Map<Element, TextSize>, inLink = false): TextSize {
  if (isText(root)) {
    const length = root.data.replace(/\s+/g, '').length;
    return { all: length, links: inLink ? length : 0 };
  }
  if (!isTag(root)) return { all: 0, links: 0 };
  const link = inLink || root.name === 'a';
  const total: TextSize = { all: 0, links: 0 };
  for (const child of root.children) {
    const size = measure(child, sizes, link);
    total.all += size.all;
    total.links += size.links;
  }
  sizes.set(root, total);
  return total;
}

/** Text weight of an element: link text counts half, so menus weigh less but a page of links still has weight. */
function weight(sizes: Map<Element, TextSize>, el: Element): number {
  const size = sizes.get(el);
  return size ? size.all - 0.5 * size.links : 0;
}

function removeWhere($: CheerioAPI, root: Element, test: (el: Element) => boolean): void {
  $(root)
    .find('*')
    .each((_, el) => {
      if (isTag(el) && el.parent && test(el)) $(el).remove();
    });
}

/** A section whose heading is "Comments" (or anchored #comments) is a comment thread. */
function isCommentSection($: CheerioAPI, el: Element): boolean {
  if (el.name !== 'section' && el.name !== 'div') return false;
  const heading = $(el).children('h1, h2, h3, h4, h5, h6').first();
  if (heading.length === 0) return false;
  if (/^comments?$/i.test(heading.text().trim())) return true;
  const anchors = heading.find('[id], [name]').addBack('[id], [name]');
  return anchors.toArray().some((a) => isTag(a) && /^comments?(?:[-_]|$)/i.test(a.attribs.id ?? a.attribs.name ?? ''));
}

/** Links, most of them with hreflang, and little else than a label: a "read this in …" switcher. */
function isLanguageSwitcher($: CheerioAPI, el: Element): boolean {
  const links = $(el).find('a[href]');
  if (links.length < 2 || links.filter('[hreflang]').length < Math.ceil(links.length / 2)) return false;
  const clone = $(el).clone();
  clone.find('a').remove();
  return clone.text().replace(/[^\p{L}\p{N}]/gu, '').length <= SWITCHER_MAX_LABEL;
}

/** Picks the main container: article, main or [role=main], else the element that holds most of the text. */
function pickRoot($: CheerioAPI): Element | undefined {
  const articles = $('article').toArray().filter(isTag);
  if (articles.length === 1) return articles[0];
  const main = $('main, [role="main"]').toArray().filter(isTag);
  const body = $('body').get(0) ?? $.root().children().get(0);
  const sizes = new Map<Element, TextSize>();
  if (body) measure(body, sizes);
  const largest = (els: Element[]) =>
    els.reduce<Element | undefined>(
      (best, el) => (!best || weight(sizes, el) > weight(sizes, best) ? el : best),
      undefined,
    );
  if (main.length > 0) return largest(main);
  if (articles.length > 1) return largest(articles);
  if (!body || !isTag(body)) return undefined;
  let current: Element = body;
  for (;;) {
    const total = weight(sizes, current);
    const children = current.children.filter(isTag);
    const best = largest(children);
    if (!best || total === 0 || weight(sizes, best) < DOMINANT_SHARE * total) return current;
    current = best;
  }
}

export interface MainContentOptions {
  /** Drop link-dense boxes (menus, link lists); off for pages that are nothing but links. */
  pruneLinks: boolean;
}

export interface MainContent {
  root: Element;
  /** Share of the content's text that link pruning removed (1 = everything). */
  linkPruned: number;
}

/** Strips page chrome and returns the main content element (the document is modified in place). */
export function mainContent($: CheerioAPI, options: MainContentOptions): MainContent | undefined {
  $(ALWAYS_DROP).remove();
  dropPermalinks($);
  $('*').each((_, el) => {
    if (isTag(el) && isCookieBanner(el)) $(el).remove();
  });
  // Chrome outside any article/main goes before the densest container is searched for.
  const hasLandmark = $('article, main, [role="main"]').length > 0;
  if (!hasLandmark) {
    $('header, footer').remove();
    $('body *').each((_, el) => {
      if (isTag(el) && el.parent && isChrome(el)) $(el).remove();
    });
  }
  const root = pickRoot($);
  if (!root) return undefined;
  // Inside the content: an article's own header (with its title) stays, its footer goes.
  $(root).find('footer').remove();
  $(root)
    .find('header')
    .each((_, el) => {
      if ($(el).find('h1, h2').length === 0) $(el).remove();
    });
  removeWhere($, root, isChrome);
  // Only ancestors of an hreflang link can be language switchers: checking just those keeps this linear.
  const holdsHreflang = new Set<Element>();
  $(root)
    .find('a[hreflang]')
    .each((_, link) => {
      for (let node = link.parent; node && isTag(node) && !holdsHreflang.has(node); node = node.parent)
        holdsHreflang.add(node);
    });
  removeWhere($, root, (el) => isCommentSection($, el) || (holdsHreflang.has(el) && isLanguageSwitcher($, el)));
  if (!options.pruneLinks) return { root, linkPruned: 0 };
  const sizes = new Map<Element, TextSize>();
  const before = measure(root, sizes).all;
  removeWhere($, root, (el) => {
    if (!['div', 'section', 'ul', 'ol', 'dl', 'table', 'p'].includes(el.name)) return false;
    const size = sizes.get(el);
    if (!size || size.all === 0) return false;
    // A paragraph that is one link is still a sentence; only boxes of several links are menus.
    if (el.name === 'p' && $(el).find('a').length < 3) return false;
    return size.links / size.all > MAX_LINK_DENSITY;
  });
  const after = measure(root, new Map()).all;
  return { root, linkPruned: before === 0 ? 0 : 1 - after / before };
}
