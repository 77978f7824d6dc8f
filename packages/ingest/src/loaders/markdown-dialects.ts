/**
 * Source-level preparation of Markdown before it is parsed: long lines broken up (the parser is quadratic in a
 * paragraph's length) and Python-Markdown / Material for MkDocs block syntax turned into CommonMark the parser
 * reads as blocks. Every output line remembers its line in the file, so blocks keep the file's line numbers.
 */

/** Parsed line number (1-based) → line number in the file. */
export type LineMap = (line: number) => number;

export interface PreparedMarkdown {
  text: string;
  lineOf: LineMap;
}

interface Lines {
  text: string[];
  /** 1-based line in the file of each line. */
  origin: number[];
}

/** A line over this is broken at spaces into paragraphs of about `PIECE` characters. */
const LONG_LINE = 32 * 1024;
const PIECE = 8 * 1024;

/**
 * `!!! note "Title"`, `??? tip`, `???+ warning "Title"` (admonitions, collapsible ones) and `=== "Tab"` (content
 * tabs); the body is the following lines indented four spaces more.
 */
const CONTAINER = /^(\s*)(?:(!!!|\?\?\?\+?)\s+([\w-]+)(?:\s+"([^"]*)")?|(===\+?)\s+"([^"]*)")\s*$/;
const FENCE = /^\s*(```|~~~)/;

function breakLongLines(lines: Lines): Lines {
  if (lines.text.every((line) => line.length <= LONG_LINE)) return lines;
  const out: Lines = { text: [], origin: [] };
  for (const [index, line] of lines.text.entries()) {
    const origin = lines.origin[index] as number;
    let rest = line;
    while (rest.length > LONG_LINE) {
      const space = rest.lastIndexOf(' ', PIECE);
      const cut = space > 0 ? space : PIECE;
      out.text.push(rest.slice(0, cut), '');
      out.origin.push(origin, origin);
      rest = rest.slice(cut).trimStart();
    }
    out.text.push(rest);
    out.origin.push(origin);
  }
  return out;
}

/** A title line that the parser reads as plain paragraph text (no heading, list or quote marker). */
function plainLine(indent: string, title: string): string {
  const escaped = title.replace(/^([#>*+\-=_`~|:!?])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2');
  return `${indent}${escaped}`;
}

function titleOf(match: RegExpExecArray): string {
  const [, , marker, type, title, tabMarker, tabTitle] = match;
  if (tabMarker !== undefined) return tabTitle ?? '';
  if (marker === undefined) return '';
  const kind = (type ?? '').replace(/[-_]/g, ' ');
  const label = kind.charAt(0).toUpperCase() + kind.slice(1);
  // `!!! note ""` asks for no title; a given title stands after the type, as the rendered box shows both.
  if (title === '') return '';
  return title === undefined ? label : `${label}: ${title}`;
}

/**
 * Admonitions and content tabs become a title paragraph followed by their body as ordinary blocks: the marker
 * line is replaced by its title (a blank line is added after it) and the body is dedented by four spaces.
 * Nested containers are flattened the same way.
 */
function openContainers(lines: Lines): Lines {
  const out: Lines = { text: [], origin: [] };
  let fenced = false;
  // Indentation still to remove from the lines of open containers, innermost last.
  const open: { indent: number; strip: number }[] = [];
  for (const [index, raw] of lines.text.entries()) {
    const origin = lines.origin[index] as number;
    let line = raw;
    const indentOf = (text: string) => text.length - text.trimStart().length;
    if (line.trim().length > 0) {
      while (open.length > 0 && indentOf(line) < (open[open.length - 1]?.indent ?? 0) + 4) open.pop();
    }
    const strip = open.reduce((sum, container) => sum + container.strip, 0);
    if (strip > 0) line = line.slice(Math.min(strip, indentOf(line)));
    if (FENCE.test(line)) fenced = !fenced;
    const match = fenced ? null : CONTAINER.exec(line);
    if (match) {
      const indent = match[1] ?? '';
      const title = titleOf(match);
      out.text.push(title ? plainLine(indent, title) : '', '');
      out.origin.push(origin, origin);
      open.push({ indent: indentOf(raw), strip: 4 });
      continue;
    }
    out.text.push(line);
    out.origin.push(origin);
  }
  return out;
}

export function prepareMarkdown(text: string): PreparedMarkdown {
  const split = text.split('\n');
  let lines: Lines = { text: split, origin: split.map((_, index) => index + 1) };
  if (split.some((line) => CONTAINER.test(line))) lines = openContainers(lines);
  lines = breakLongLines(lines);
  const { origin } = lines;
  return { text: lines.text.join('\n'), lineOf: (line) => origin[line - 1] ?? line };
}

/** A Python-Markdown attribute list (`{ #id .class key=value }`, `{: … }`) at the end of a heading. */
const ATTRIBUTE_LIST =
  /\s*\{:?\s*(?:[#.][\w-]+|[\w-]+=(?:"[^"]*"|'[^']*'|[^\s}]+))(?:\s+(?:[#.][\w-]+|[\w-]+=(?:"[^"]*"|'[^']*'|[^\s}]+)))*\s*\}\s*$/;

/** Heading text without a trailing attribute list. */
export function stripAttributeList(text: string): string {
  return text.replace(ATTRIBUTE_LIST, '').trim();
}
