import { WinnowError } from '@winnow/core';

/**
 * Orders one query's documents as trec_eval 9 does: score descending, ties broken by document id
 * descending as byte strings. trec_eval keeps scores in a C `float`, so scores that differ only beyond
 * single precision tie (compared via `Math.fround`); -0 and 0 tie too. The input order is ignored.
 */
export function rankDocuments(scores: ReadonlyMap<string, number>, queryId = ''): string[] {
  const entries: { id: string; score: number }[] = [];
  for (const [id, score] of scores) {
    if (Number.isNaN(score)) {
      throw new WinnowError('E_DATASET_INVALID', `document ${JSON.stringify(id)} has a NaN score`, {
        field: `run[${JSON.stringify(queryId)}]`,
      });
    }
    entries.push({ id, score: Math.fround(score) });
  }
  entries.sort(compareTrec);
  return entries.map((entry) => entry.id);
}

function compareTrec(a: { id: string; score: number }, b: { id: string; score: number }): number {
  if (a.score > b.score) return -1;
  if (a.score < b.score) return 1;
  // For the ASCII ids of test collections, `<` on JS strings is C strcmp order.
  if (a.id > b.id) return -1;
  if (a.id < b.id) return 1;
  return 0;
}
