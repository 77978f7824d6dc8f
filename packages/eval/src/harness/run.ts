import { basename, join } from 'node:path';
import type { ProviderRegistry } from '@winnow/assemble';
import {
  type Candidate,
  type PipelineConfig,
  type Principal,
  type Reranker,
  sha256Hex,
  throwIfAborted,
  type VectorStore,
  WinnowError,
} from '@winnow/core';
import { type FusionOptions, fuseStages, type IndexProgress } from '@winnow/pipeline';
import {
  chunkHitsFromCandidates,
  chunkLevelScores,
  documentRunFromChunkHits,
  type SourceChunk,
  sourceChunkOf,
} from '../chunk-hits.js';
import { evaluateRun } from '../evaluate.js';
import { type BeirDataset, listBeirSplits, loadBeirDataset } from '../io/beir.js';
import { bootstrapCi, type ConfidenceInterval } from '../stats/bootstrap.js';
import { type Comparison, compareEvaluations } from '../stats/compare.js';
import type { Evaluation, Run } from '../types.js';
import { assignFolds, DEFAULT_FOLD_SEED, datasetSubset } from './folds.js';
import { type IndexedCorpus, indexCorpus, indexKey } from './index-cache.js';
import { type LatencySummary, summarise } from './latency.js';
import { compareWithReferences, type ReferenceComparison, type ReferenceFigure } from './references.js';
import { type CachedReranker, cachedReranker, type FileCachedReranker } from './rerank-cache.js';
import { chooseLexicalWeight, type RecallTuningResult } from './tune-recall.js';

// The stage packages (models, PDF parser, database drivers) load when a run starts, not when @winnow/eval is
// imported: `winnow eval` checks its arguments first, so a typo answers in well under a second.
const loadAssemble = () => import('@winnow/assemble');

/** The measures every report carries (friendly names; trec_eval semantics). */
export const REPORT_MEASURES = [
  'ndcg@10',
  'mrr@10',
  'recall@10',
  'recall@50',
  'recall@100',
  'map@100',
  'p@10',
  'hit@10',
  'recall@1',
  'recall@3',
  'recall@5',
  'recall@20',
] as const;

export interface EvalConfiguration {
  name: string;
  config: PipelineConfig;
  /** Figures published or measured elsewhere for this setting; results carry them with the differences. */
  references?: ReferenceFigure[];
  /** false: evaluate the configuration as written, even when the harness tunes the others. Default true. */
  tune?: boolean;
}

export interface TuneOptions {
  /**
   * The split tuned on. Without `folds` it must differ from the reported split; with `folds` it is the reported
   * split itself (cross-validation over its queries).
   */
  split: string;
  /**
   * k-fold cross-validation over the reported queries: each fold is scored with settings tuned on the other folds,
   * so no query is scored with settings tuned on itself. For collections without a separate tuning split.
   */
  folds?: number;
  /** Seed of the fold assignment. Default DEFAULT_FOLD_SEED. */
  seed?: number;
  /** Use only the first this many tuning queries, in file order (keeps runs short). Default all. */
  maxQueries?: number;
  /** Weights of the rerank stage tried for each method. */
  weights?: number[];
  /** Lexical weights tried for hybrid recall (dense weight as configured). Default DEFAULT_LEXICAL_WEIGHTS. */
  lexicalWeights?: number[];
  methods?: FusionOptions['method'][];
  /** The measure maximised. Default 'ndcg@10'. */
  measure?: string;
}

export interface HarnessProgress {
  phase: 'index' | 'tune' | 'query';
  configuration: string;
  done: number;
  total: number;
  index?: IndexProgress;
}

export interface HarnessOptions {
  /** A BEIR-layout folder. */
  dataset: string;
  /** The reported split. Default 'test'. */
  split?: string;
  configurations: EvalConfiguration[];
  /** Name of the configuration the others are compared with. Default: the first. */
  baseline?: string;
  /** Tune fusion of reranked configurations on another split first. */
  tune?: TuneOptions;
  cacheDir: string;
  /**
   * Keep rerank scores on disk (in cacheDir) and reuse them in later runs. Rerank latency then only counts the
   * pairs scored in this run: results say how many were cached (`rerankPairs`).
   */
  rerankCache?: boolean;
  /**
   * Reuse stage-1 results across configurations that share an index and recall settings (e.g. one recall reranked
   * to several depths): each distinct search runs once per run. Recall latency then counts only the searches run;
   * results say how many were reused (`recallSearches`).
   */
  recallCache?: boolean;
  databaseUrl?: string | undefined;
  /** Evaluate only the first N queries (quick checks; reports say so). */
  maxQueries?: number;
  onProgress?: (event: HarnessProgress) => void;
  signal?: AbortSignal;
  /** User providers and stages named in the configurations. */
  registry?: ProviderRegistry;
  /**
   * Evaluate as this principal: every query retrieves only what it may see (needed when a configuration has
   * `access.enabled`, whose collections refuse retrievals without one). Judged documents it cannot see count as missed.
   */
  principal?: Principal;
}

export interface TuningResult {
  split: string;
  queries: number;
  measure: string;
  chosen: FusionOptions;
  /** The measure on the tuning split for every grid point, and for rerank-only and recall-only. */
  grid: { method: FusionOptions['method']; weight: number; value: number }[];
}

/** How a configuration's fusion and hybrid weights were chosen. */
export type ChosenBy =
  | { how: 'as-written'; reason: 'no tuning asked' | 'untuned' | 'nothing to tune' }
  | { how: 'split'; split: string }
  | { how: 'k-fold'; folds: number; seed: number };

/** One fold of k-fold tuning: its scored queries and what the other folds chose for them. */
export interface FoldResult {
  fold: number;
  /** The fold's query ids (scored with this fold's settings). */
  queryIds: string[];
  tuning?: TuningResult;
  recallTuning?: RecallTuningResult;
}

export interface ConfigurationResult {
  name: string;
  /** The configuration as scored; under k-fold, as written (each fold's choice is in `folds`). */
  config: PipelineConfig;
  chosenBy: ChosenBy;
  folds?: FoldResult[];
  indexKey: string;
  metrics: Record<string, number>;
  intervals: Record<string, ConfidenceInterval>;
  perQuery: Record<string, Record<string, number>>;
  latencyMs: { embed: LatencySummary; recall: LatencySummary; rerank: LatencySummary; total: LatencySummary };
  queriesPerSecond: number;
  index: { documents: number; chunks: number; embedded: number; reused: number; durationMs: number };
  tuning?: TuningResult;
  /** Hybrid recall's lexical weight, when it was tuned (before the rerank fusion). */
  recallTuning?: RecallTuningResult;
  /**
   * With a rerank cache: pairs of the reported queries scored now and taken from the cache (latency counts the
   * former); `fromEarlierRun` of the cached ones were in the cache file before this run (the rest were scored
   * earlier in this run, by tuning or another configuration).
   */
  rerankPairs?: { computed: number; cached: number; fromEarlierRun?: number };
  /** With a recall cache: searches of the reported queries run now and reused from an earlier configuration. */
  recallSearches?: { computed: number; cached: number };
  /** Against the baseline, per reported measure. */
  comparison?: Record<string, Comparison>;
  /** The configuration's reference figures, each with ours minus theirs. */
  references?: ReferenceComparison[];
  /** Document run (kept for run files; not serialised into results.json). */
  run: Run;
}

export interface EvalResults {
  dataset: string;
  split: string;
  createdAt: string;
  queries: number;
  /** Set when maxQueries cut the query set: such figures are not comparable with published ones. */
  truncatedTo?: number;
  baseline: string;
  measures: string[];
  configurations: ConfigurationResult[];
}

/** Milliseconds one query spent in each stage. */
export interface StageTimings {
  embed: number;
  recall: number;
  rerank: number;
  total: number;
}

interface QueryOutcome {
  queryId: string;
  candidates: Candidate[];
  timings: StageTimings;
}

/**
 * Runs every configuration over a BEIR dataset: indexes the corpus once per distinct index setting (cached on
 * disk), optionally tunes fusion on a training split, then evaluates the reported split once per configuration.
 */
export async function runEvaluation(options: HarnessOptions): Promise<EvalResults> {
  const split = options.split ?? 'test';
  const baseline = validateEvalNames({
    configurations: options.configurations,
    split,
    ...(options.baseline === undefined ? {} : { baseline: options.baseline }),
    ...(options.tune === undefined ? {} : { tuneSplit: options.tune.split }),
    ...(options.tune?.folds === undefined ? {} : { tuneFolds: options.tune.folds }),
    untuned: options.configurations.filter((c) => c.tune === false).map((c) => c.name),
  });
  const signal = options.signal;
  const dataset = await loadBeirDataset(options.dataset, { split, ...(signal ? { signal } : {}) });
  const name = basename(options.dataset.replace(/\/+$/, ''));
  const folds = options.tune?.folds;
  const tuneSet =
    options.tune && folds === undefined ? await loadTuneSplit(options.dataset, options.tune.split) : undefined;
  const foldSeed = options.tune?.seed ?? DEFAULT_FOLD_SEED;
  const foldIds =
    folds === undefined
      ? undefined
      : assignFolds([...dataset.queries.keys()].slice(0, options.maxQueries ?? dataset.queries.size), folds, foldSeed);
  const indexes = new Map<string, IndexedCorpus>();
  const rerankers = new Map<string, Reranker | undefined>();
  const results: ConfigurationResult[] = [];
  const measures = [...REPORT_MEASURES];
  try {
    for (const { name: configName, config: original, references, tune } of options.configurations) {
      throwIfAborted(signal, 'evaluation');
      const indexed = await ensureIndex(indexes, { dataset, datasetName: name, config: original, configName, options });
      // One reranker (and one score cache) per model setting: depth, k and cache size do not change a pair's
      // score, so configurations that rerank the same recall to different depths share every scored pair.
      const { depth: _depth, k: _k, cacheEntries: _entries, ...scoring } = original.rerank;
      const rerankKey = JSON.stringify(scoring);
      if (!rerankers.has(rerankKey)) {
        const { createRerankerFromConfig } = await loadAssemble();
        const reranker = await createRerankerFromConfig(original.rerank, {
          registry: options.registry,
          config: original,
        });
        const cacheFile = join(options.cacheDir, `${name}-rerank-${sha256Hex(rerankKey).slice(0, 12)}.tsv`);
        rerankers.set(
          rerankKey,
          reranker && options.rerankCache ? await cachedReranker(reranker, cacheFile) : reranker,
        );
      }
      const run: ConfigurationRun = {
        name: configName,
        config: original,
        indexed,
        reranker: rerankers.get(rerankKey),
        options,
      };

      const tunable = run.config.recall.mode === 'hybrid' || run.reranker !== undefined;
      const chosenBy: ChosenBy = !options.tune
        ? { how: 'as-written', reason: 'no tuning asked' }
        : tune === false
          ? { how: 'as-written', reason: 'untuned' }
          : !tunable
            ? { how: 'as-written', reason: 'nothing to tune' }
            : foldIds
              ? { how: 'k-fold', folds: foldIds.length, seed: foldSeed }
              : { how: 'split', split: options.tune.split };
      const cache = (run.reranker as Partial<CachedReranker> | undefined)?.pairs;
      const fromFile = (run.reranker as Partial<FileCachedReranker> | undefined)?.fromFile;
      const searches = SEARCH_COUNTS.get(indexed.store);
      // Cache counts cover the scored queries only, not the tuning runs between them.
      const counted = { pairs: { computed: 0, cached: 0 }, searches: { computed: 0, cached: 0 }, fromEarlierRun: 0 };
      const scoreQueries = async (scored: ConfigurationRun, subset: BeirDataset, limit?: number) => {
        const pairsBefore = { ...(cache ?? { computed: 0, cached: 0 }) };
        const fileHitsBefore = fromFile?.hits ?? 0;
        const searchesBefore = { ...(searches ?? { computed: 0, cached: 0 }) };
        const done = await runQueries(scored, { dataset: subset, phase: 'query', limit });
        counted.fromEarlierRun += (fromFile?.hits ?? 0) - fileHitsBefore;
        for (const [total, now, before] of [
          [counted.pairs, cache, pairsBefore],
          [counted.searches, searches, searchesBefore],
        ] as const) {
          if (!now) continue;
          total.computed += now.computed - before.computed;
          total.cached += now.cached - before.cached;
        }
        return done;
      };
      let tuning: TuningResult | undefined;
      let recallTuning: RecallTuningResult | undefined;
      let foldResults: FoldResult[] | undefined;
      let outcomes: QueryOutcome[];
      if (chosenBy.how === 'split' && options.tune && tuneSet) {
        ({ tuning, recallTuning } = await tuneConfiguration(run, tuneSet, options.tune));
        outcomes = await scoreQueries(run, dataset);
      } else if (chosenBy.how === 'k-fold' && options.tune && foldIds) {
        foldResults = [];
        const byId = new Map<string, QueryOutcome>();
        for (const [f, ids] of foldIds.entries()) {
          const others = foldIds.filter((_, g) => g !== f).flat();
          // Tuning uses every query of the other folds (--tune-queries does not cut it: folds are already a part).
          const foldTune = { ...options.tune, split: `${split} (folds ≠ ${f + 1})`, maxQueries: others.length };
          const foldRun: ConfigurationRun = { ...run, config: original };
          const chosen = await tuneConfiguration(foldRun, datasetSubset(dataset, others, split), foldTune);
          foldResults.push({
            fold: f + 1,
            queryIds: ids,
            ...(chosen.tuning ? { tuning: chosen.tuning } : {}),
            ...(chosen.recallTuning ? { recallTuning: chosen.recallTuning } : {}),
          });
          for (const o of await scoreQueries(foldRun, datasetSubset(dataset, ids, split), ids.length)) {
            byId.set(o.queryId, o);
          }
        }
        // Back in the split's query order, so run files and per-query charts match an untuned run's.
        outcomes = [];
        for (const id of dataset.queries.keys()) {
          const o = byId.get(id);
          if (o) outcomes.push(o);
        }
      } else {
        outcomes = await scoreQueries(run, dataset);
      }
      const documentRun = toRun(outcomes);
      const evaluation = withChunkLevel(evaluateRun(documentRun, dataset.qrels, measures), outcomes, dataset);
      const result = summariseConfiguration({
        name: configName,
        config: run.config,
        indexKey: indexed.key,
        evaluation,
        run: documentRun,
        timings: outcomes.map((o) => o.timings),
        index: indexSummary(indexed),
        chosenBy,
        ...(tuning === undefined ? {} : { tuning }),
      });
      if (recallTuning) result.recallTuning = recallTuning;
      if (foldResults) result.folds = foldResults;
      if (cache)
        result.rerankPairs = { ...counted.pairs, ...(fromFile ? { fromEarlierRun: counted.fromEarlierRun } : {}) };
      if (searches) result.recallSearches = counted.searches;
      if (references?.length) result.references = compareWithReferences(result.metrics, references);
      results.push(result);
    }
  } finally {
    for (const reranker of rerankers.values()) await reranker?.close?.();
    for (const indexed of indexes.values()) await indexed.close();
  }
  compareWithBaseline(results, baseline, measures);
  return {
    dataset: name,
    split,
    createdAt: new Date().toISOString(),
    queries: dataset.queries.size,
    ...(options.maxQueries === undefined ? {} : { truncatedTo: Math.min(options.maxQueries, dataset.queries.size) }),
    baseline,
    measures,
    configurations: results,
  };
}

/** What `validateEvalNames` checks: every name a run refers to. */
export interface EvalNames {
  configurations: readonly Pick<EvalConfiguration, 'name'>[];
  /** Default: the first configuration. */
  baseline?: string;
  /** Configurations evaluated as written (`--untuned`). */
  untuned?: readonly string[];
  split: string;
  tuneSplit?: string;
  /** k-fold tuning on the scored split (`--tune-folds`). */
  tuneFolds?: number;
}

const SPLIT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Checks every name before anything is indexed, so a typo costs milliseconds, not an indexing run: configuration
 * names (present, distinct), the baseline and `--untuned` names (configurations of this run), the split names (safe
 * file names, tuning apart from the reported split). Returns the baseline's name. Errors name the bad name and the
 * valid ones (E_CONFIG_INVALID).
 */
export function validateEvalNames(names: EvalNames): string {
  const configured = names.configurations.map((c) => c.name);
  if (configured.length === 0) {
    throw new WinnowError('E_CONFIG_INVALID', 'give at least one configuration', { field: '--config' });
  }
  const duplicate = configured.find((n, i) => configured.indexOf(n) !== i);
  if (duplicate !== undefined) {
    throw new WinnowError('E_CONFIG_INVALID', `two configurations are named ${duplicate}`, { field: 'name' });
  }
  const known = (name: string, field: string) => {
    if (!configured.includes(name)) {
      throw new WinnowError(
        'E_CONFIG_INVALID',
        `no configuration is named ${JSON.stringify(name)} (have: ${configured.join(', ')})`,
        { field },
      );
    }
  };
  const baseline = names.baseline ?? (configured[0] as string);
  known(baseline, '--baseline');
  for (const name of names.untuned ?? []) known(name, '--untuned');
  for (const [split, field] of [
    [names.split, '--split'],
    [names.tuneSplit, '--tune-split'],
  ] as const) {
    if (split !== undefined && !SPLIT_NAME.test(split)) {
      throw new WinnowError(
        'E_CONFIG_INVALID',
        `${JSON.stringify(split)} is not a split name (e.g. test, train, dev)`,
        {
          field,
        },
      );
    }
  }
  const tuning = names.tuneSplit !== undefined || names.tuneFolds !== undefined;
  if ((names.untuned?.length ?? 0) > 0 && !tuning) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `--untuned ${names.untuned?.join(', ')} asks to leave out of tuning, but nothing is tuned: add --tune-split <split> or --tune-folds <k>, or drop --untuned`,
      { field: '--untuned' },
    );
  }
  if (names.tuneFolds !== undefined) {
    if (!Number.isInteger(names.tuneFolds) || names.tuneFolds < 2) {
      throw new WinnowError('E_CONFIG_INVALID', `k-fold tuning needs at least 2 folds, got ${names.tuneFolds}`, {
        field: '--tune-folds',
      });
    }
    if (names.tuneSplit !== undefined && names.tuneSplit !== names.split) {
      throw new WinnowError(
        'E_CONFIG_INVALID',
        `--tune-folds cross-validates on the scored split '${names.split}', so --tune-split ${names.tuneSplit} contradicts it: give one of the two`,
        { field: '--tune-folds' },
      );
    }
  } else if (names.tuneSplit !== undefined && names.tuneSplit === names.split) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `tuning split and reported split are both '${names.split}': each query would be scored with settings tuned on itself; tune on another split (e.g. train), or cross-validate on '${names.split}' with --tune-folds 5`,
      { field: '--tune-split' },
    );
  }
  return baseline;
}

/** Chunk-level measures, scored when the queries name their source chunk (datasets of `winnow eval --generate`). */
export const CHUNK_MEASURES = ['chunk-hit@10', 'chunk-mrr@10'] as const;

/**
 * Adds chunk-level hit@10 and MRR@10 to a document-level evaluation when every evaluated query names its source
 * chunk: whether the chunk the question was written from is retrieved, not only a chunk of its document.
 */
function withChunkLevel(evaluation: Evaluation, outcomes: readonly QueryOutcome[], dataset: BeirDataset): Evaluation {
  const sources = new Map<string, SourceChunk>();
  for (const o of outcomes) {
    const source = sourceChunkOf(dataset.queries.get(o.queryId)?.metadata ?? {});
    if (!source) return evaluation;
    sources.set(o.queryId, source);
  }
  if (sources.size === 0) return evaluation;
  const perQuery = { ...evaluation.perQuery };
  for (const o of outcomes) {
    const scores = chunkLevelScores(o.candidates, sources.get(o.queryId) as SourceChunk, 10);
    perQuery[o.queryId] = { ...perQuery[o.queryId], 'chunk-hit@10': scores.hit, 'chunk-mrr@10': scores.reciprocalRank };
  }
  const rows = Object.values(perQuery);
  const mean = { ...evaluation.mean };
  for (const m of CHUNK_MEASURES) mean[m] = rows.reduce((a, q) => a + (q[m] ?? 0), 0) / Math.max(1, rows.length);
  return { ...evaluation, measures: [...evaluation.measures, ...CHUNK_MEASURES], perQuery, mean };
}

/** Loads the tuning split; a missing one names the splits there and the k-fold alternative. */
async function loadTuneSplit(directory: string, tuneSplit: string): Promise<BeirDataset> {
  const splits = listBeirSplits(directory);
  if (!splits.includes(tuneSplit)) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `no qrels/${tuneSplit}.tsv in ${directory}: tune on one of its splits (${splits.join(', ') || 'none'}) other than the scored one, or tune on the scored split with --tune-folds 5`,
      { field: '--tune-split' },
    );
  }
  return loadBeirDataset(directory, { split: tuneSplit });
}

/**
 * Tunes `run.config` in place on `tuneSet`: hybrid recall's lexical weight first, then a reranked configuration's
 * stage fusion. Returns what was chosen.
 */
async function tuneConfiguration(
  run: ConfigurationRun,
  tuneSet: BeirDataset,
  tune: TuneOptions,
): Promise<{ tuning?: TuningResult; recallTuning?: RecallTuningResult }> {
  let recallTuning: RecallTuningResult | undefined;
  let tuning: TuningResult | undefined;
  if (run.config.recall.mode === 'hybrid') {
    recallTuning = await tuneHybridRecall(run, tuneSet, tune);
    run.config = { ...run.config, recall: { ...run.config.recall, lexicalWeight: recallTuning.lexicalWeight } };
  }
  if (run.reranker) {
    tuning = await tuneFusion(run, tuneSet, tune);
    run.config = { ...run.config, fusion: tuning.chosen };
  }
  return { ...(tuning ? { tuning } : {}), ...(recallTuning ? { recallTuning } : {}) };
}

/** One configuration while it is evaluated: its (possibly tuned) config, its index, its reranker, the run's options. */
interface ConfigurationRun {
  name: string;
  config: PipelineConfig;
  indexed: IndexedCorpus;
  reranker: Reranker | undefined;
  options: HarnessOptions;
}

async function ensureIndex(
  indexes: Map<string, IndexedCorpus>,
  request: {
    dataset: BeirDataset;
    datasetName: string;
    config: PipelineConfig;
    configName: string;
    options: HarnessOptions;
  },
): Promise<IndexedCorpus> {
  const { options, configName } = request;
  const key = indexKey(request.config);
  const existing = indexes.get(key);
  if (existing) return existing;
  const opened = await indexCorpus(request.dataset, request.datasetName, request.config, {
    cacheDir: options.cacheDir,
    databaseUrl: options.databaseUrl,
    registry: options.registry,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (index) =>
      options.onProgress?.({ phase: 'index', configuration: configName, done: index.documents.seen, total: 0, index }),
  });
  const indexed = options.recallCache ? { ...opened, store: memoizedSearches(opened.store) } : opened;
  indexes.set(key, indexed);
  return indexed;
}

/** Counts of a memoised store's searches: run against the store, and answered from memory. */
const SEARCH_COUNTS = new WeakMap<VectorStore, { computed: number; cached: number }>();

/**
 * The store with its searches memoised for this run, keyed by every field of the request (the query vector by its
 * bytes). Candidates are never changed in place by the stages, so one result can serve several configurations.
 */
function memoizedSearches(store: VectorStore): VectorStore {
  const results = new Map<string, Promise<Candidate[]>>();
  const counts = { computed: 0, cached: 0 };
  const memo: VectorStore = Object.create(store);
  memo.search = (request, callOptions) => {
    const { vector, ...rest } = request;
    const key = sha256Hex(
      JSON.stringify(rest) +
        (vector ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64') : ''),
    );
    const known = results.get(key);
    if (known) {
      counts.cached += 1;
      return known.then((candidates) => [...candidates]);
    }
    counts.computed += 1;
    const pending = store.search(request, callOptions);
    results.set(key, pending);
    pending.catch(() => results.delete(key));
    return pending.then((candidates) => [...candidates]);
  };
  SEARCH_COUNTS.set(memo, counts);
  return memo;
}

/** Runs a split's queries (the first `limit`) through the configuration; `config`/`reranker` override the run's. */
async function runQueries(
  run: ConfigurationRun,
  request: {
    dataset: BeirDataset;
    phase: 'query' | 'tune';
    config?: PipelineConfig;
    reranker?: Reranker | undefined;
    limit?: number | undefined;
  },
): Promise<QueryOutcome[]> {
  const { options } = run;
  const config = request.config ?? run.config;
  // Keep every recalled candidate in the final order: the run is scored to depth recall.k.
  const evalConfig: PipelineConfig = { ...config, rerank: { ...config.rerank, k: config.recall.k } };
  const { createRetrieverFromConfig } = await loadAssemble();
  const retriever = await createRetrieverFromConfig(
    evalConfig,
    {
      embedder: run.indexed.embedder,
      store: run.indexed.store,
      reranker: 'reranker' in request ? request.reranker : run.reranker,
      principal: options.principal,
    },
    { registry: options.registry },
  );
  const { dataset } = request;
  const queries = [...dataset.queries.values()].slice(0, request.limit ?? options.maxQueries ?? dataset.queries.size);
  const outcomes: QueryOutcome[] = [];
  for (const [i, query] of queries.entries()) {
    throwIfAborted(options.signal, 'evaluation');
    const result = await retriever.retrieve(query.text, options.signal ? { signal: options.signal } : {});
    outcomes.push({
      queryId: query.id,
      candidates: result.candidates,
      timings: {
        embed: result.timings.embedMs ?? 0,
        recall: result.timings.recallMs ?? 0,
        rerank: result.timings.rerankMs ?? 0,
        total: result.timings.totalMs,
      },
    });
    options.onProgress?.({ phase: request.phase, configuration: run.name, done: i + 1, total: queries.length });
  }
  return outcomes;
}

function toRun(outcomes: readonly { queryId: string; candidates: readonly Candidate[] }[]): Run {
  return documentRunFromChunkHits(new Map(outcomes.map((o) => [o.queryId, chunkHitsFromCandidates(o.candidates)])));
}

/**
 * Chooses hybrid recall's lexical weight on the tuning split (see chooseLexicalWeight): each tuning query's dense
 * and lexical top-k are fetched once, without reranking, and fused for every weight.
 */
async function tuneHybridRecall(
  run: ConfigurationRun,
  tuneSet: BeirDataset,
  tune: TuneOptions,
): Promise<RecallTuningResult> {
  const { config } = run;
  const measure = tune.measure ?? 'ndcg@10';
  const single = (mode: 'dense' | 'lexical') =>
    runQueries(run, {
      dataset: tuneSet,
      phase: 'tune',
      config: { ...config, recall: { ...config.recall, mode } },
      reranker: undefined,
      limit: tune.maxQueries,
    });
  const dense = await single('dense');
  const lexical = await single('lexical');
  const { lexicalWeight, grid } = chooseLexicalWeight(dense, lexical, {
    denseWeight: config.recall.denseWeight,
    configuredLexicalWeight: config.recall.lexicalWeight,
    rrfK: config.recall.rrfK,
    k: config.recall.k,
    ...(tune.lexicalWeights ? { weights: tune.lexicalWeights } : {}),
    score: (fused) => evaluateRun(toRun(fused), tuneSet.qrels, [measure]).mean[measure] ?? 0,
  });
  return {
    split: tune.split,
    queries: dense.length,
    measure,
    denseWeight: config.recall.denseWeight,
    lexicalWeight,
    grid,
  };
}

/**
 * Grid search of the fusion method and weight on the tuning split. Reranking runs once per query; each grid
 * point only re-fuses the stored scores. The grid includes weight 0 (recall order) and 'rerank' (reranker
 * order), so the chosen fusion is never worse than either stage alone on the tuning split.
 */
async function tuneFusion(run: ConfigurationRun, tuneSet: BeirDataset, tune: TuneOptions): Promise<TuningResult> {
  const { config } = run;
  const measure = tune.measure ?? 'ndcg@10';
  const rerankOnly: PipelineConfig = { ...config, fusion: { ...config.fusion, method: 'rerank' } };
  const outcomes = await runQueries(run, {
    dataset: tuneSet,
    phase: 'tune',
    config: rerankOnly,
    limit: tune.maxQueries,
  });
  const weights = tune.weights ?? [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
  const methods = tune.methods ?? ['interpolate', 'rrf'];
  const grid: TuningResult['grid'] = [];
  const score = (fusion: FusionOptions) => {
    const fused = outcomes.map((o) => ({ ...o, candidates: fuseStages(o.candidates, config.recall.mode, fusion) }));
    return evaluateRun(toRun(fused), tuneSet.qrels, [measure]).mean[measure] ?? 0;
  };
  let best: { fusion: FusionOptions; value: number } | undefined;
  const consider = (fusion: FusionOptions) => {
    const value = score(fusion);
    grid.push({ method: fusion.method, weight: fusion.weight, value });
    if (!best || value > best.value + 1e-12) best = { fusion, value };
  };
  for (const method of methods) {
    for (const weight of weights) consider({ ...config.fusion, method, weight });
  }
  consider({ ...config.fusion, method: 'rerank', weight: 1 });
  const chosen = (best as { fusion: FusionOptions }).fusion;
  return { split: tune.split, queries: outcomes.length, measure, chosen, grid };
}

export interface ConfigurationSummaryInput {
  name: string;
  config: PipelineConfig;
  indexKey: string;
  evaluation: Evaluation;
  run: Run;
  /** One entry per evaluated query. */
  timings: readonly StageTimings[];
  index: ConfigurationResult['index'];
  /** Default: as written, no tuning asked. */
  chosenBy?: ChosenBy;
  tuning?: TuningResult;
}

/** A configuration's report entry from its evaluation and per-query timings (bootstrap intervals seeded). */
export function summariseConfiguration(input: ConfigurationSummaryInput): ConfigurationResult {
  const { evaluation, timings } = input;
  const totalMs = timings.reduce((a, t) => a + t.total, 0);
  const intervals: Record<string, ConfidenceInterval> = {};
  for (const measure of evaluation.measures) {
    const values = Object.values(evaluation.perQuery).map((q) => q[measure] ?? 0);
    intervals[measure] = bootstrapCi(values, { seed: 7 });
  }
  return {
    name: input.name,
    config: input.config,
    indexKey: input.indexKey,
    metrics: evaluation.mean,
    intervals,
    perQuery: evaluation.perQuery,
    latencyMs: {
      embed: summarise(timings.map((t) => t.embed)),
      recall: summarise(timings.map((t) => t.recall)),
      rerank: summarise(timings.map((t) => t.rerank)),
      total: summarise(timings.map((t) => t.total)),
    },
    queriesPerSecond: totalMs > 0 ? Math.round((timings.length * 1000 * 100) / totalMs) / 100 : 0,
    index: input.index,
    chosenBy: input.chosenBy ?? { how: 'as-written', reason: 'no tuning asked' },
    ...(input.tuning === undefined ? {} : { tuning: input.tuning }),
    run: input.run,
  };
}

function indexSummary(indexed: IndexedCorpus): ConfigurationResult['index'] {
  const { report } = indexed;
  return {
    documents: report.added.length + report.changed.length + report.unchanged,
    chunks: report.chunks.written,
    embedded: report.chunks.embedded,
    reused: report.chunks.reused,
    durationMs: report.durationsMs.total,
  };
}

/** Sets `comparison` on every configuration but the baseline: significance tests on the headline measures. */
export function compareWithBaseline(results: ConfigurationResult[], baseline: string, measures: string[]): void {
  const base = results.find((r) => r.name === baseline);
  if (!base) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `no configuration is named ${JSON.stringify(baseline)} (have: ${results.map((r) => r.name).join(', ')})`,
      { field: '--baseline' },
    );
  }
  for (const result of results) {
    if (result === base) continue;
    result.comparison = Object.fromEntries(
      ['ndcg@10', 'mrr@10', 'recall@100', 'map@100'].map((m) => [
        m,
        compareEvaluations(asEvaluation(base, measures), asEvaluation(result, measures), m, { seed: 42 }),
      ]),
    );
  }
}

function asEvaluation(result: ConfigurationResult, measures: string[]): Evaluation {
  return evaluationFromPerQuery(result.perQuery, measures, result.metrics);
}

/**
 * An Evaluation rebuilt from per-query values (e.g. a saved `per-query/<name>.json`), for the significance tests;
 * means are taken over those queries unless given. Query bookkeeping is not kept in per-query files, so it is empty.
 */
export function evaluationFromPerQuery(
  perQuery: Record<string, Record<string, number>>,
  measures: string[],
  mean?: Record<string, number>,
): Evaluation {
  const rows = Object.values(perQuery);
  const means =
    mean ??
    Object.fromEntries(measures.map((m) => [m, rows.reduce((a, q) => a + (q[m] ?? 0), 0) / Math.max(1, rows.length)]));
  return {
    measures,
    perQuery,
    mean: means,
    meanComplete: means,
    queries: { inQrels: 0, inRun: 0, evaluated: 0, qrelsOnly: [], runOnly: [], withoutRelevant: [] },
  };
}

/**
 * What a configuration took from a cache (its latency leaves that work out), saying where it came from, e.g.
 * "10 of 50 rerank pairs cached (4 from an earlier run, 6 scored earlier in this run); 12 of 35 searches reused
 * from an earlier configuration in this run", or undefined when it took nothing.
 */
export function cachedWork(result: Pick<ConfigurationResult, 'rerankPairs' | 'recallSearches'>): string | undefined {
  const notes: string[] = [];
  const pairs = result.rerankPairs;
  if (pairs && pairs.cached > 0) {
    const total = `${pairs.cached} of ${pairs.cached + pairs.computed} rerank pairs cached`;
    const earlier = pairs.fromEarlierRun;
    if (earlier === undefined) notes.push(total);
    else if (earlier === pairs.cached) notes.push(`${total} (all from an earlier run)`);
    else if (earlier === 0) notes.push(`${total} (all scored earlier in this run)`);
    else notes.push(`${total} (${earlier} from an earlier run, ${pairs.cached - earlier} scored earlier in this run)`);
  }
  const searches = result.recallSearches;
  if (searches && searches.cached > 0) {
    notes.push(
      `${searches.cached} of ${searches.cached + searches.computed} searches reused from an earlier configuration in this run`,
    );
  }
  return notes.length > 0 ? notes.join('; ') : undefined;
}
