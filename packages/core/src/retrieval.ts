import type { CallOptions, RecallMode } from './contracts.js';
import type { Filter } from './filter.js';
import type { Candidate, RetrievalResult } from './types.js';

export interface RetrieveOptions extends CallOptions {
  /** Overrides the configured filter for this query. */
  filter?: Filter;
  /** Overrides the number of results kept. */
  k?: number;
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
