import type { Candidate } from '@winnow/core';
import { fuseRankedLists } from '@winnow/pipeline';

/** The lexical weights tried for hybrid recall (the dense weight stays as configured, default 1). */
export const DEFAULT_LEXICAL_WEIGHTS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3];

/** What tuning hybrid recall chose, with the tuned measure for every lexical weight tried. */
export interface RecallTuningResult {
  split: string;
  queries: number;
  measure: string;
  denseWeight: number;
  lexicalWeight: number;
  grid: { lexicalWeight: number; value: number }[];
}

/** One tuning query's candidates from a single recall mode. */
export interface RecallLists {
  queryId: string;
  candidates: Candidate[];
}

/**
 * Grid search of hybrid recall's lexical weight on the tuning split: the dense and the lexical top-k of each
 * tuning query are fetched once, then fused for every weight as the store's hybrid search does (the pipeline's
 * `fuseRankedLists`, checked against the SQL in harness.test.ts) and scored by `score` (the tuned measure's mean).
 * Ties keep the configured weight, then the smaller one.
 */
export function chooseLexicalWeight(
  dense: readonly RecallLists[],
  lexical: readonly RecallLists[],
  options: {
    denseWeight: number;
    configuredLexicalWeight: number;
    rrfK: number;
    k: number;
    weights?: readonly number[];
    score: (fused: RecallLists[]) => number;
  },
): { lexicalWeight: number; grid: { lexicalWeight: number; value: number }[] } {
  const lexicalById = new Map(lexical.map((l) => [l.queryId, l.candidates]));
  const weights = [...new Set([options.configuredLexicalWeight, ...(options.weights ?? DEFAULT_LEXICAL_WEIGHTS)])];
  const grid = weights.map((lexicalWeight) => ({
    lexicalWeight,
    value: options.score(
      dense.map((d) => ({
        queryId: d.queryId,
        candidates: fuseRankedLists(
          [
            { candidates: d.candidates, weight: options.denseWeight },
            { candidates: lexicalById.get(d.queryId) ?? [], weight: lexicalWeight },
          ],
          { rrfK: options.rrfK, k: options.k },
        ),
      })),
    ),
  }));
  // The configured weight is first in the grid, so a strictly better value is needed to move away from it.
  let best = grid[0] as { lexicalWeight: number; value: number };
  for (const point of grid) if (point.value > best.value + 1e-12) best = point;
  grid.sort((a, b) => a.lexicalWeight - b.lexicalWeight);
  return { lexicalWeight: best.lexicalWeight, grid };
}
