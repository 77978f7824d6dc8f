import type { ContextSource } from '@winnow/core';

/** One bracketed citation in an answer, e.g. `[2, 3]` or `[1-3]`, with the numbers it names. */
export interface CitationMark {
  /** The text as written, e.g. `[1-3]`. */
  text: string;
  /** Offset of the mark in the answer. */
  index: number;
  numbers: number[];
}

// A bracket holding numbers, comma/semicolon lists and ranges: [1], [2, 3], [1-3], [1–3], [Source 2]. It must
// not follow a word character or ')' — that is an index such as `items[0]` or `f(x)[1]`, not a citation.
const MARK =
  /(?<![\w)])\[\s*(?:sources?\s*)?(\d+(?:\s*[-–—]\s*\d+)?(?:\s*[,;]\s*(?:sources?\s*)?\d+(?:\s*[-–—]\s*\d+)?)*)\s*\]/gi;
// Ranges wider than this are not expanded (a year span like [1990-2020] is not 31 citations).
const MAX_RANGE = 50;

/** Finds the citation marks of an answer, in order. `[1][4]` is two marks. */
export function parseCitationMarks(text: string): CitationMark[] {
  const marks: CitationMark[] = [];
  for (const match of text.matchAll(MARK)) {
    const numbers: number[] = [];
    for (const part of (match[1] ?? '').split(/[,;]/)) {
      const [low, high] = part
        .replace(/sources?/i, '')
        .split(/[-–—]/)
        .map((value) => Number.parseInt(value.trim(), 10));
      if (low === undefined || Number.isNaN(low)) continue;
      if (high === undefined || Number.isNaN(high)) numbers.push(low);
      else if (high >= low && high - low < MAX_RANGE) for (let n = low; n <= high; n += 1) numbers.push(n);
      else numbers.push(low, high);
    }
    marks.push({ text: match[0], index: match.index, numbers });
  }
  return marks;
}

/** Every number cited, unique, in order of first appearance. */
export function parseCitations(text: string): number[] {
  return [...new Set(parseCitationMarks(text).flatMap((mark) => mark.numbers))];
}

export interface ResolvedCitations<S extends ContextSource> {
  /** The sources cited, in order of first citation. */
  cited: S[];
  /** Numbers cited that name no source (hallucinated citations), in order of first appearance. */
  invalid: number[];
}

export function resolveCitations<S extends ContextSource>(text: string, sources: readonly S[]): ResolvedCitations<S> {
  const byLabel = new Map(sources.map((source) => [source.label, source]));
  const cited: S[] = [];
  const invalid: number[] = [];
  for (const number of parseCitations(text)) {
    const source = byLabel.get(number);
    if (source === undefined) invalid.push(number);
    else cited.push(source);
  }
  return { cited, invalid };
}
