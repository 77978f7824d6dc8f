import type { Piece } from './pieces.js';
import { BREAK, type RangeCounter } from './split.js';

/** A run of pieces that becomes one chunk (before any overlap is added). */
export interface PackedSpan {
  /** Indexes of the first and last piece (inclusive). */
  first: number;
  last: number;
  start: number;
  end: number;
  /** The span's exact token count, special tokens included. */
  tokens: number;
  /** The most tokens a chunk made from it may have: the smallest hard limit of its pieces. */
  hardLimit: number;
}

export interface PackOptions {
  targetTokens: number;
  overhead: number;
  /** A cut at a weaker break is taken only when a stronger one would leave the chunk under this share of the target. */
  minFill: number;
}

/**
 * Packs pieces into spans that aim at `targetTokens` and never exceed their hard limit. Pieces of different
 * groups (top-level sections) are never packed together. Where the next piece does not fit, the cut goes to the
 * strongest break (section, block, paragraph, line, sentence, word) that still leaves the chunk at least
 * `minFill` of the target (half that before a subsection heading), and never right after a heading; a chunk
 * that so far holds only headings takes the next piece even beyond the target (up to the hard limit). Sizes are estimated by summing the pieces' content
 * tokens and then checked by counting the span's text; a span found too long gives back pieces at its end.
 */
export function packPieces(pieces: readonly Piece[], options: PackOptions, count: RangeCounter): PackedSpan[] {
  const spans: PackedSpan[] = [];
  let index = 0;
  while (index < pieces.length) {
    const end = chooseEnd(pieces, index, options);
    spans.push(verify(pieces, index, end, count));
    index = (spans[spans.length - 1]?.last ?? index) + 1;
  }
  return spans;
}

/** Greedy fill from `first`, then the best cut inside the filled run; returns the exclusive end index. */
function chooseEnd(pieces: readonly Piece[], first: number, options: PackOptions): number {
  const head = pieces[first] as Piece;
  let limit = head.hardLimit;
  let estimate = options.overhead + head.tokens;
  const fillBefore = new Map<number, number>([[first + 1, estimate]]);
  let next = first + 1;
  let onlyHeadings = head.heading;
  for (; next < pieces.length; next += 1) {
    const piece = pieces[next] as Piece;
    if (piece.group !== head.group) break;
    const nextLimit = Math.min(limit, piece.hardLimit);
    // A heading stays with what follows it even when that makes the chunk larger than the target.
    const budget = onlyHeadings ? nextLimit : Math.min(options.targetTokens, nextLimit);
    if (estimate + piece.tokens > budget) break;
    estimate += piece.tokens;
    limit = nextLimit;
    onlyHeadings &&= piece.heading;
    fillBefore.set(next + 1, estimate);
  }
  const following = pieces[next];
  if (following === undefined || following.group !== head.group) return next;
  const minimum = options.minFill * Math.min(options.targetTokens, limit);
  let best: number | undefined;
  let fallback: number | undefined;
  for (let cut = first + 1; cut <= next; cut += 1) {
    if ((pieces[cut - 1] as Piece).heading) continue;
    fallback = cut;
    // Cutting before a subsection heading is worth a smaller chunk: the chunks get more specific heading paths.
    const strength = (pieces[cut] as Piece).breakBefore;
    if ((fillBefore.get(cut) ?? 0) < (strength === BREAK.section ? minimum / 2 : minimum)) continue;
    if (best === undefined || strength >= (pieces[best] as Piece).breakBefore) best = cut;
  }
  return best ?? fallback ?? next;
}

function verify(pieces: readonly Piece[], first: number, end: number, count: RangeCounter): PackedSpan {
  for (let last = end - 1; ; last -= 1) {
    const start = (pieces[first] as Piece).start;
    const stop = (pieces[last] as Piece).end;
    let hardLimit = Number.POSITIVE_INFINITY;
    for (let index = first; index <= last; index += 1)
      hardLimit = Math.min(hardLimit, (pieces[index] as Piece).hardLimit);
    const tokens = count(start, stop);
    // A single piece was counted on its own when it was cut, so it always fits.
    if (tokens <= hardLimit || last === first) return { first, last, start, end: stop, tokens, hardLimit };
  }
}
