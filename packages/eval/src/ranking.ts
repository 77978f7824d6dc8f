import { WinnowError } from '@winnow/core';

/**
 * Orders one query's documents as trec_eval 9 does: score descending, ties broken by document id
 * descending as byte strings. trec_eval keeps scores in a C `float`, so scores that differ only beyond
 * single precision tie (compared via `Math.fround`); -0 and 0 tie too. The input order is ignored.
 */
export function rankDocuments(scores: ReadonlyMap<string, number>, queryId = ''): string[] {
  return rankEntries(scores, queryId).map((entry) => entry.id);
}

export interface RankedEntry {
  id: string;
  /** The score as given (full precision). */
  score: number;
}

/** `rankDocuments` with each document's score alongside. */
export function rankEntries(scores: ReadonlyMap<string, number>, queryId = ''): RankedEntry[] {
  const entries: (RankedEntry & { key: number })[] = [];
  for (const [id, score] of scores) {
    if (Number.isNaN(score)) {
      throw new WinnowError('E_DATASET_INVALID', `document ${JSON.stringify(id)} has a NaN score`, {
        field: `run[${JSON.stringify(queryId)}]`,
      });
    }
    entries.push({ id, score, key: Math.fround(score) });
  }
  entries.sort(compareTrec);
  return entries;
}

/** `key` is the score as trec_eval sees it (single precision). */
function compareTrec(a: { id: string; key: number }, b: { id: string; key: number }): number {
  if (a.key > b.key) return -1;
  if (a.key < b.key) return 1;
  // For the ASCII ids of test collections, `<` on JS strings is C strcmp order.
  if (a.id > b.id) return -1;
  if (a.id < b.id) return 1;
  return 0;
}
