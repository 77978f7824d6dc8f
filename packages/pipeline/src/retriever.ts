import {
  boundQueryText,
  type Candidate,
  type CandidateStage,
  DEFAULT_MAX_QUERY_TOKENS,
  type Embedder,
  isAbortError,
  MAX_QUERY_TOKENS,
  type Principal,
  parseFilter,
  type QueryTransform,
  type RecallMode,
  type RecallSettings,
  type Reranker,
  type Retriever,
  type StageContext,
  type StageTimings,
  throwIfAborted,
  type VectorStore,
  WinnowError,
} from '@winnow/core';
import { dedupeStage } from './dedupe.js';
import { type FusionOptions, fuseRankedLists, fuseStage, recallStage } from './fusion.js';
import { type RerankOptions, rerankStage } from './rerank-stage.js';

export type { RetrieveOptions, Retriever } from '@winnow/core';

/** Recall settings (core's one shape); mode and k have defaults here. */
export type RecallOptions = Partial<RecallSettings>;

export interface RetrieverOptions {
  embedder?: Embedder;
  store: VectorStore;
  recall?: RecallOptions;
  /** Runs before recall, e.g. multi-query expansion. Default none. */
  queryTransform?: QueryTransform;
  /** The stages after recall, in order. Default `defaultStages(...)` from the options below. */
  stages?: readonly CandidateStage[];
  /** Results kept after the last stage. Default `rerank.k`, else 5. */
  k?: number;
  /** For the default stages: the reranker (no rerank stage without one). */
  reranker?: Reranker;
  rerank?: RerankOptions;
  fusion?: Partial<FusionOptions>;
  /** For the default stages: collapse near-duplicate chunks before reranking. Default true. */
  dedupe?: boolean;
  /**
   * The principal of every retrieval that names none (`RetrieveOptions.principal` overrides it): a retriever bound
   * to one user, e.g. for the LangChain adapter or an evaluation. Default none.
   */
  principal?: Principal;
}

/** Today's order: dedupe → rerank (with a reranker) → fuse. */
export function defaultStages(
  options: Pick<RetrieverOptions, 'reranker' | 'rerank' | 'fusion' | 'dedupe'> = {},
): CandidateStage[] {
  return [
    ...(options.dedupe === false ? [] : [dedupeStage()]),
    ...(options.reranker ? [rerankStage(options.reranker, options.rerank)] : []),
    fuseStage(options.fusion),
  ];
}

// The built-in stages' times also go to the named fields that reports and the eval harness read.
const NAMED_TIMINGS: Record<string, 'dedupeMs' | 'rerankMs' | 'fuseMs'> = {
  dedupe: 'dedupeMs',
  rerank: 'rerankMs',
  fuse: 'fuseMs',
};

const since = (start: number) => Math.round((performance.now() - start) * 1000) / 1000;

/**
 * Retrieval as recall plus an ordered list of stages: an optional query transform, stage 1 recalls `recall.k`
 * candidates from the store (dense, lexical or hybrid), then each stage takes the candidates and returns candidates
 * (default: dedupe, rerank, fuse). Every candidate keeps each stage's score and rank; every stage is timed.
 */
export function createRetriever(options: RetrieverOptions): Retriever {
  const mode: RecallMode = options.recall?.mode ?? (options.embedder ? 'hybrid' : 'lexical');
  if (mode !== 'lexical' && !options.embedder) {
    throw new WinnowError('E_CONFIG_INVALID', `recall mode '${mode}' needs an embedder`, { field: 'recall.mode' });
  }
  const recallK = options.recall?.k ?? 50;
  const keep = options.k ?? options.rerank?.k ?? 5;
  if (!(recallK > 0) || !(keep > 0)) {
    throw new WinnowError('E_CONFIG_INVALID', 'recall.k and rerank.k must be positive', {
      field: !(recallK > 0) ? 'recall.k' : 'rerank.k',
    });
  }
  const stages = options.stages ?? defaultStages(options);
  const names = stages.map((s) => s.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) {
    throw new WinnowError('E_CONFIG_INVALID', `two stages are named ${twice}: timings need distinct names`, {
      field: 'retrieval.stages',
    });
  }
  const configuredFilter =
    options.recall?.filter === undefined ? undefined : parseFilter(options.recall.filter, 'recall.filter');
  const maxQueryTokens = options.recall?.maxQueryTokens ?? DEFAULT_MAX_QUERY_TOKENS;
  if (!Number.isInteger(maxQueryTokens) || !(maxQueryTokens > 0) || maxQueryTokens > MAX_QUERY_TOKENS) {
    throw new WinnowError('E_CONFIG_INVALID', `recall.maxQueryTokens must be an integer in 1..${MAX_QUERY_TOKENS}`, {
      field: 'recall.maxQueryTokens',
    });
  }
  const settings: RecallSettings = { ...options.recall, mode, k: recallK, maxQueryTokens };

  /** Stage 1 for one or several queries; several lists are fused by reciprocal rank into one. */
  async function recall(
    queries: string[],
    search: RecallSettings & { principal: Principal | undefined },
    timings: StageTimings,
    signal?: AbortSignal,
  ) {
    let vectors: (Float32Array | undefined)[] = [];
    if (mode !== 'lexical' && options.embedder) {
      const t = performance.now();
      vectors = (await options.embedder.embed(queries, { inputType: 'query', signal })).vectors;
      timings.embedMs = since(t);
    }
    throwIfAborted(signal, 'retrieval');
    const t = performance.now();
    const lists: Candidate[][] = [];
    for (const [i, text] of queries.entries()) {
      lists.push(await options.store.search({ ...search, vector: vectors[i], text }, { signal }));
    }
    timings.recallMs = since(t);
    if (lists.length === 1) return lists[0] as Candidate[];
    return fuseRankedLists(
      lists.map((candidates) => ({ candidates, weight: 1 })),
      { rrfK: search.rrfK ?? 60, k: recallK, stage: recallStage(mode) },
    );
  }

  return {
    async retrieve(query, callOptions = {}) {
      const { signal } = callOptions;
      const started = performance.now();
      const trimmed = query.trim();
      if (trimmed.length === 0) throw new WinnowError('E_EMPTY_QUERY', 'the query is empty', { field: 'query' });
      // Bounded once, before any stage: an over-long query must never reach the store's SQL (PGlite crashes).
      const warnings: string[] = [];
      const bound = (q: string): string => {
        const bounded = boundQueryText(q, maxQueryTokens);
        if (bounded.dropped > 0) {
          warnings.push(
            `query cut to recall.maxQueryTokens (${maxQueryTokens} tokens): ${bounded.dropped} tokens dropped`,
          );
        }
        return bounded.text;
      };
      const text = bound(trimmed);
      const filter = callOptions.filter === undefined ? configuredFilter : parseFilter(callOptions.filter, 'filter');
      const stagesMs: Record<string, number> = {};
      const timings: StageTimings = { totalMs: 0, stagesMs };
      throwIfAborted(signal, 'retrieval');

      let queries = [text];
      if (options.queryTransform) {
        const t = performance.now();
        const transformed = await runStep(options.queryTransform.name, () =>
          (options.queryTransform as QueryTransform).transform(text, { signal }),
        );
        queries = transformed.length > 0 ? transformed.map(bound) : [text];
        stagesMs[options.queryTransform.name] = since(t);
        throwIfAborted(signal, 'retrieval');
      }

      // The store enforces the principal (and refuses none where access control is on); stages get it for caches.
      const principal = callOptions.principal ?? options.principal;
      const recalled = await recall(queries, { ...settings, filter, principal }, timings, signal);
      const context: StageContext = {
        recallMode: mode,
        ...(principal === undefined ? {} : { principal }),
        ...(signal === undefined ? {} : { signal }),
        recordTiming: (name, ms) => {
          stagesMs[name] = ms;
        },
      };
      let candidates: Candidate[] = recalled;
      for (const stage of stages) {
        throwIfAborted(signal, 'retrieval');
        const t = performance.now();
        candidates = await runStep(stage.name, () => stage.run(text, candidates, context));
        const ms = since(t);
        stagesMs[stage.name] = ms;
        const named = NAMED_TIMINGS[stage.name];
        if (named) timings[named] = ms;
      }
      const final = candidates.slice(0, callOptions.k ?? keep);
      timings.totalMs = since(started);
      return {
        query,
        candidates: final,
        recalled: recalled.length,
        timings,
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    },
  };
}

/** Runs a stage; a failure that is not already a WinnowError (or an abort) is reported as E_STAGE_FAILED naming it. */
async function runStep<T>(name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof WinnowError || isAbortError(error)) throw error;
    throw new WinnowError(
      'E_STAGE_FAILED',
      `stage ${name} failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        setting: `stage ${name}`,
        cause: error,
      },
    );
  }
}
