import { WinnowError } from '@winnow/core';

/**
 * The families of measures. All but `mrr_cut` are trec_eval 9 measures; `mrr_cut` is MRR@k as BEIR and
 * MS MARCO report it: `recip_rank` when the first relevant document is within the top k, else 0.
 */
export type MeasureKind =
  | 'ndcg'
  | 'ndcg_cut'
  | 'recip_rank'
  | 'mrr_cut'
  | 'map'
  | 'map_cut'
  | 'P'
  | 'recall'
  | 'Rprec'
  | 'success';

export interface Measure {
  /** The name as given, which keys the results. */
  name: string;
  kind: MeasureKind;
  /** The cutoff, for the families that take one. */
  k?: number;
}

/** trec_eval spellings: `ndcg_cut_10` (pytrec_eval's output key) or `ndcg_cut.10` (trec_eval's `-m` form). */
const TREC_NAME = /^(ndcg_cut|map_cut|P|recall|success)[._](\d+)$/;
const TREC_PLAIN: Record<string, MeasureKind> = { ndcg: 'ndcg', recip_rank: 'recip_rank', map: 'map', Rprec: 'Rprec' };

/** Friendly spellings, matched case-insensitively: `ndcg@10`, `mrr@10`, `recall@100`, `map@100`, `p@10`, `hit@10`. */
const FRIENDLY_NAME = /^(ndcg|mrr|recall|map|p|precision|hit|success)@(\d+)$/;
const FRIENDLY_CUT: Record<string, MeasureKind> = {
  ndcg: 'ndcg_cut',
  mrr: 'mrr_cut',
  recall: 'recall',
  map: 'map_cut',
  p: 'P',
  precision: 'P',
  hit: 'success',
  success: 'success',
};
const FRIENDLY_PLAIN: Record<string, MeasureKind> = { ndcg: 'ndcg', mrr: 'recip_rank', map: 'map', rprec: 'Rprec' };

/** Parses one measure name; `field` names it in the error, e.g. `measures[2]`. */
export function parseMeasure(name: string, field = 'measures'): Measure {
  const trec = TREC_NAME.exec(name);
  if (trec) return withCutoff(name, trec[1] as MeasureKind, trec[2] as string, field);
  const trecPlain = TREC_PLAIN[name];
  if (trecPlain) return { name, kind: trecPlain };

  const lower = name.toLowerCase();
  const friendly = FRIENDLY_NAME.exec(lower);
  if (friendly)
    return withCutoff(name, FRIENDLY_CUT[friendly[1] as string] as MeasureKind, friendly[2] as string, field);
  const friendlyPlain = FRIENDLY_PLAIN[lower];
  if (friendlyPlain) return { name, kind: friendlyPlain };

  throw new WinnowError('E_CONFIG_INVALID', `unknown measure ${JSON.stringify(name)}`, {
    field,
    hint: 'use a trec_eval name (ndcg_cut_10, recip_rank, P_5, recall_100, map, map_cut_100, Rprec, success_1, ndcg) or ndcg@10, mrr@10, recall@100, map@100, p@10, hit@10, rprec',
  });
}

function withCutoff(name: string, kind: MeasureKind, digits: string, field: string): Measure {
  const k = Number(digits);
  if (!Number.isSafeInteger(k) || k < 1) {
    throw new WinnowError('E_CONFIG_INVALID', `measure ${JSON.stringify(name)} needs a cutoff of at least 1`, {
      field,
    });
  }
  return { name, kind, k };
}

/** Parses a list of measure names, dropping exact repeats. */
export function parseMeasures(names: readonly string[]): Measure[] {
  if (names.length === 0) {
    throw new WinnowError('E_CONFIG_INVALID', 'no measure was given', { field: 'measures' });
  }
  const seen = new Set<string>();
  const measures: Measure[] = [];
  names.forEach((name, index) => {
    if (seen.has(name)) return;
    seen.add(name);
    measures.push(parseMeasure(name, `measures[${index}]`));
  });
  return measures;
}
