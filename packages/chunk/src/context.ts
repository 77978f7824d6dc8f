import { codePointCuts } from './segment.js';

/** What is prepended to a chunk's text for embedding, with its size in content tokens (no special tokens). */
export interface ContextPrefix {
  text: string;
  tokens: number;
}

const NONE: ContextPrefix = { text: '', tokens: 0 };

/** Joins a prefix and a chunk's text into what is embedded. */
export function withPrefix(prefix: ContextPrefix, text: string): string {
  return prefix.text.length === 0 ? text : `${prefix.text}\n\n${text}`;
}

/**
 * Builds the contextual prefixes of chunks: the document title, then the heading path (`Guide > Install`).
 * A prefix is capped at a quarter of `maxTokens` so it never crowds out the text: when longer, the title goes
 * first, then outer headings, and finally the innermost heading is cut. Prefixes are cached per path.
 */
export class ContextPrefixes {
  private readonly cache = new Map<string, ContextPrefix[]>();
  private readonly cap: number;

  constructor(
    private readonly title: string | undefined,
    private readonly count: (text: string) => number,
    private readonly overhead: number,
    maxTokens: number,
  ) {
    this.cap = Math.floor(maxTokens / 4);
  }

  /** The preferred prefix for a heading path (within the cap). */
  best(path: readonly string[]): ContextPrefix {
    return this.variants(path, false)[0] ?? NONE;
  }

  /**
   * Every prefix for a path that fits the cap, longest first: fall back along it when an embed text is too long.
   * When the chunk opens with the path's last heading, the prefix leaves that heading out (the text has it).
   */
  variants(fullPath: readonly string[], opensWithOwnHeading: boolean): ContextPrefix[] {
    const key = `${opensWithOwnHeading ? 1 : 0}${fullPath.join('\u0000')}`;
    let found = this.cache.get(key);
    if (found === undefined) {
      found = this.build(fullPath, opensWithOwnHeading ? fullPath.slice(0, -1) : fullPath);
      this.cache.set(key, found);
    }
    return found;
  }

  private build(fullPath: readonly string[], path: readonly string[]): ContextPrefix[] {
    const title = this.title?.replace(/\s+/gu, ' ').trim();
    // Markdown files often open with their title as a heading: it is then in the path and need not come twice.
    const repeatsTitle = title !== undefined && fullPath[0]?.toLowerCase() === title.toLowerCase();
    const texts: string[] = [];
    if (title && !repeatsTitle) texts.push([title, path.join(' > ')].filter(Boolean).join('\n'));
    for (let outer = 0; outer < path.length; outer += 1) texts.push(path.slice(outer).join(' > '));
    const fitting: ContextPrefix[] = [];
    for (const text of texts) {
      const tokens = this.count(text) - this.overhead;
      if (tokens <= this.cap) fitting.push({ text, tokens });
    }
    const innermost = texts[texts.length - 1];
    if (fitting.length === 0 && innermost !== undefined) {
      const cut = this.cutToCap(innermost);
      if (cut) fitting.push(cut);
    }
    return fitting;
  }

  /** The longest start of `text`, at a code point boundary, within the cap. */
  private cutToCap(text: string): ContextPrefix | undefined {
    const cuts = codePointCuts(text, { start: 0, end: text.length });
    let lo = -1;
    let hi = cuts.length;
    let best: ContextPrefix | undefined;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      const candidate = text.slice(0, cuts[mid]).trimEnd();
      const tokens = this.count(candidate) - this.overhead;
      if (tokens <= this.cap && candidate.length > 0) {
        lo = mid;
        best = { text: candidate, tokens };
      } else hi = mid;
    }
    return best;
  }
}
