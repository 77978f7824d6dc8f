/** A system's output: for each query id, each retrieved document id with its score (higher is better). */
export type Run = Map<string, Map<string, number>>;

/** Relevance judgments: for each query id, each judged document id with its integer grade. */
export type Qrels = Map<string, Map<string, number>>;

/** Which queries an evaluation covered, with the same facts as trec_eval's summary. */
export interface QueryCounts {
  /** Queries in the qrels. */
  inQrels: number;
  /** Queries in the run. */
  inRun: number;
  /** Queries in both: the ones that get per-query values. */
  evaluated: number;
  /** Qrels queries the run lacks (0 in `meanComplete`, absent from `mean`), in qrels order. */
  qrelsOnly: string[];
  /** Run queries that have no qrels (ignored), in run order. */
  runOnly: string[];
  /** Qrels queries with no relevant document (every measure is 0 for them), in qrels order. */
  withoutRelevant: string[];
}

export interface Evaluation {
  /** The measure names as the caller gave them; they key every record below. */
  measures: string[];
  /** Per evaluated query, in qrels order: `perQuery[qid][measure]`. */
  perQuery: Record<string, Record<string, number>>;
  /** Mean over the evaluated queries (what trec_eval prints). 0 when none was evaluated. */
  mean: Record<string, number>;
  /** The same sum divided by the number of qrels queries (`trec_eval -c`). 0 when the qrels are empty. */
  meanComplete: Record<string, number>;
  queries: QueryCounts;
}
