import type { Principal } from './access.js';
import type { CallOptions, RecallMode } from './contracts.js';
import type { Filter } from './filter.js';
import type { Candidate, RetrievalResult } from './types.js';

export interface RetrieveOptions extends CallOptions {
  /** Overrides the configured filter for this query. */
  filter?: Filter;
  /** Overrides the number of results kept. */
  k?: number;
  /** Who is asking; passed to the store, which returns only what this principal may see (see `canAccess`). */
  principal?: Principal;
}

/** Query in, ranked candidates out, with every stage's score and timing. */
export interface Retriever {
  retrieve(query: string, options?: RetrieveOptions): Promise<RetrievalResult>;
}

/** What a candidate stage gets beside the query and the candidates. */
export interface StageContext extends CallOptions {
  /** How stage 1 recalled: tells a stage which score is the recall score (`fused` for hybrid). */
  recallMode: RecallMode;
  /**
   * Records a timing in `RetrievalResult.timings.stagesMs` (milliseconds). The retriever already times each stage
   * under its name; a stage records more only to split its own time (e.g. model time apart from waiting).
   */
  recordTiming(name: string, ms: number): void;
  /** The principal the retrieval runs as, if any: a stage that caches keeps each principal's entries apart. */
  principal?: Principal;
}

/**
 * One step after recall: takes the query and the candidates (best first), returns candidates. Dedupe, rerank, fuse,
 * MMR and boosts are stages; so is anything a user registers. A stage must not mutate its input; it keeps the scores
 * and ranks of earlier stages and may add its own. Abort is checked between stages; long stages check `signal`.
 */
export interface CandidateStage {
  /** Names the stage in timings and errors, e.g. 'rerank'. */
  readonly name: string;
  run(query: string, candidates: readonly Candidate[], context: StageContext): Promise<Candidate[]>;
}

/**
 * Runs before recall: turns the query into the queries recall runs with (the original first), e.g. multi-query
 * expansion through a Generator. Recall's lists for several queries are fused by reciprocal rank.
 */
export interface QueryTransform {
  readonly name: string;
  transform(query: string, options?: CallOptions): Promise<string[]>;
}

/**
 * Default of `recall.maxQueryTokens`. Measured on PGlite 0.3.9: a lexical or hybrid query of about 610–670
 * lexemes crashes the WebAssembly engine ("memory access out of bounds") and breaks every later query of the
 * process; 608 passed. A token here (a run of letters, digits or `_`) yields at most 1.5 lexemes ("a-b" gives
 * "a-b", "a", "b"), so 256 tokens stay under 400 lexemes. The server fails far later (~20k terms).
 */
export const DEFAULT_MAX_QUERY_TOKENS = 256;
/** Highest allowed `recall.maxQueryTokens`: 400 tokens ≤ 600 lexemes, just under PGlite's crash (see above). */
export const MAX_QUERY_TOKENS = 400;

export interface BoundedQuery {
  text: string;
  /** Tokens dropped from the end; 0 when the text was within the bound. */
  dropped: number;
}

const TOKEN = /[\p{L}\p{N}_]+/gu;

/** Keeps the text up to its `maxTokens`-th token (letters, digits, `_`) and drops the rest. */
export function boundQueryText(text: string, maxTokens: number = DEFAULT_MAX_QUERY_TOKENS): BoundedQuery {
  let count = 0;
  let end = text.length;
  for (const match of text.matchAll(TOKEN)) {
    count++;
    if (count === maxTokens) end = match.index + match[0].length;
  }
  if (count <= maxTokens) return { text, dropped: 0 };
  return { text: text.slice(0, end), dropped: count - maxTokens };
}
