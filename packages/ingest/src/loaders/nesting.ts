/**
 * Nesting depth estimated from the raw text in one linear pass, before a parser that is superlinear in depth
 * (micromark, parse5) runs synchronously where no budget can interrupt it: a 1,200-deep Markdown list took minutes,
 * a 50,000-deep HTML tree 20 s just to parse.
 */

/** Deepest Markdown list / block quote nesting read (real documents stay below 10; 100 parses in ~0.3 s). */
export const MAX_MARKDOWN_DEPTH = 100;

const FENCE = /^\s*(`{3,}|~{3,})/;
const LIST_MARKER = /^(?:[-*+]|\d{1,9}[.)])(?: +|$)/;

/**
 * The Markdown container depth (open list items plus `>` markers) of the deepest line, stopping once over `limit`.
 * An estimate: lazy continuation lines may close items early (so it errs low), never high for plain nesting.
 */
export function markdownDepth(text: string, limit: number): number {
  const items: number[] = []; // content column of each open list item
  let fence: string | undefined;
  let deepest = 0;
  for (const raw of text.split('\n')) {
    if (fence !== undefined) {
      if (raw.trimStart().startsWith(fence)) fence = undefined;
      continue;
    }
    const opened = FENCE.exec(raw);
    if (opened) {
      fence = opened[1];
      continue;
    }
    let line = raw.replace(/\t/g, '    ');
    if (line.trim() === '') continue;
    let quotes = 0;
    let column = 0;
    for (;;) {
      const indent = line.length - line.trimStart().length;
      const rest = line.slice(indent);
      if (rest.startsWith('>')) {
        quotes += 1;
        column += indent + 1;
        line = rest.slice(1);
        continue;
      }
      // The line belongs to the open items whose content starts at or before it.
      while (items.length > 0 && (items.at(-1) as number) > column + indent) items.pop();
      const marker = LIST_MARKER.exec(rest);
      // Four columns past the enclosing content is indented code, not a list.
      if (!marker || column + indent - Math.max(items.at(-1) ?? 0, column) >= 4) break;
      column += indent + marker[0].length;
      items.push(column);
      line = rest.slice(marker[0].length);
    }
    deepest = Math.max(deepest, items.length + quotes);
    if (deepest > limit) return deepest;
  }
  return deepest;
}

/** Elements whose end tag is optional, void, or that the parser closes when another opens: never nested by count. */
const NOT_NESTING = new Set(
  (
    'area base br col embed hr img input link meta param source track wbr p li dt dd option optgroup tr td th ' +
    'thead tbody tfoot caption colgroup rb rt rp rtc a button nobr form h1 h2 h3 h4 h5 h6 html head body'
  ).split(' '),
);
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes']);

/**
 * Element nesting from a scan of the tags (an end tag closes up to its open element, as the parser does), stopping
 * once over `limit`. Elements the parser auto-closes are not counted, so it errs low on odd pages, not high.
 */
export function htmlTagDepth(html: string, limit: number): number {
  const open: string[] = [];
  const tag = /<!--[\s\S]*?(?:-->|$)|<(\/)?([a-zA-Z][^\s/>]*)[^>]*?(\/)?>/g;
  let deepest = 0;
  for (let m = tag.exec(html); m !== null; m = tag.exec(html)) {
    const name = m[2]?.toLowerCase();
    if (name === undefined) continue;
    if (m[1] !== undefined) {
      const at = open.lastIndexOf(name);
      if (at >= 0) open.length = at;
    } else if (RAW_TEXT.has(name)) {
      const end = new RegExp(`</${name}`, 'ig');
      end.lastIndex = tag.lastIndex;
      tag.lastIndex = end.exec(html)?.index ?? html.length;
    } else if (m[3] === undefined && !NOT_NESTING.has(name)) {
      open.push(name);
      if (open.length > deepest) deepest = open.length;
      if (deepest > limit) return deepest;
    }
  }
  return deepest;
}
