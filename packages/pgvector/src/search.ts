import {
  boundQueryText,
  type Candidate,
  DEFAULT_MAX_QUERY_TOKENS,
  type DistanceMetric,
  type LexicalSyntax,
  MAX_QUERY_TOKENS,
  type MmrOptions,
  type SearchRequest,
  WinnowError,
} from '@winnow/core';
import { accessScope } from './access-sql.js';
import { maxMagnitude } from './chunk-row.js';
import type { SqlDriver } from './driver.js';
import { compileFilter } from './filter-sql.js';
import { type HitRow, hitToCandidate } from './hits.js';
import { mmrOrder } from './mmr.js';
import type { CollectionTables } from './naming.js';
import {
  denseSql,
  hybridSql,
  lexicalBranchCount,
  lexicalSql,
  MERGED_TERMS_SETTINGS,
  type SearchSqlParts,
} from './search-sql.js';
import {
  checkInteger,
  type IndexSettings,
  type IterativeScan,
  MAX_EF_SEARCH,
  similarityFromDistance,
  type TextSearchConfig,
  type VectorType,
} from './settings.js';
import { SqlParams } from './sql-params.js';
import { formatVector, parseVector } from './vector-text.js';

/** MMR and exact search are part of core's SearchRequest, so the pipeline and the config reach them too. */
export type { MmrOptions };
export type PgSearchRequest = SearchRequest;

export interface SearchContext {
  driver: SqlDriver;
  tables: CollectionTables;
  collection: string;
  modelId: string;
  dimensions: number;
  metric: DistanceMetric;
  vectorType: VectorType;
  textSearch: TextSearchConfig;
  index: IndexSettings;
  /** ef_search when a request gives none. */
  defaultEfSearch: number;
  iterativeScan: IterativeScan;
  /** False on pgvector < 0.8, which has no iterative scans. */
  iterativeScanSupported: boolean;
  ivfflatProbes: number | undefined;
  /** Cancels the search, on the server too. */
  signal?: AbortSignal;
  /** The collection has access control on: a search without a principal is refused (see access-sql.ts). */
  accessControl?: boolean;
  /** Set by `search`: the principal's settings for the row-level security policies, sent with the statement. */
  accessSettings?: Array<[string, string]>;
}

const MAX_K = 10_000;

export async function search(context: SearchContext, request: PgSearchRequest): Promise<Candidate[]> {
  const mode = request.mode;
  if (mode !== 'dense' && mode !== 'lexical' && mode !== 'hybrid') {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `unknown recall mode ${JSON.stringify(mode)}; expected dense, lexical or hybrid`,
      {
        field: 'mode',
      },
    );
  }
  if (request.mmr !== undefined && mode !== 'dense') {
    throw new WinnowError('E_CONFIG_INVALID', `MMR re-ranks dense results only, not ${mode}`, { field: 'mmr' });
  }
  const k = checkInteger(request.k, 1, MAX_K, 'k');
  const params = new SqlParams();
  const parts: SearchSqlParts = {
    tables: context.tables,
    metric: context.metric,
    vectorType: context.vectorType,
    textSearch: context.textSearch,
    limit: '',
    exact: request.exact === true,
    websearch: lexicalSyntax(request.lexicalSyntax) === 'websearch',
  };
  // Placeholders are numbered in the order values are bound; the SQL may use them in any order.
  const vector = mode === 'lexical' ? undefined : params.add(queryVector(context, request.vector));
  const queryString = mode === 'dense' ? undefined : queryText(request.text, request.maxQueryTokens);
  const text = queryString === undefined ? undefined : params.add(queryString);
  if (queryString !== undefined) parts.termBranches = lexicalBranchCount(queryString);
  if (request.filter !== undefined) parts.filter = compileFilter(request.filter, params);
  // The principal's predicate joins the filter, so dense, lexical, hybrid and MMR all see only its documents.
  const scope = accessScope(context.collection, context.accessControl === true, request.principal, params);
  if (scope !== undefined) {
    parts.filter = parts.filter === undefined ? scope.predicate : `(${parts.filter} and ${scope.predicate})`;
  }
  const scoped = scope === undefined ? context : { ...context, accessSettings: scope.settings };
  if (vector === undefined) return searchLexical(scoped, { ...parts, text: text as string }, params, k);
  if (text === undefined) return searchDense(scoped, { ...parts, vector }, params, request, k);
  return searchHybrid(scoped, { ...parts, vector, text }, params, request, k);
}

/**
 * Lexical and hybrid statements run without JIT: a large collection's postings push the plan's cost past
 * jit_above_cost, and compiling the scoring took longer than it saved (55k chunks, threshold lowered to reach it:
 * p50 201 ms with JIT, 127 ms without).
 */
const NO_JIT: [string, string] = ['jit', 'off'];

/** Settings of every statement that scores postings (lexical and hybrid). */
const LEXICAL_SETTINGS: Array<[string, string]> = [NO_JIT, ...MERGED_TERMS_SETTINGS];

async function searchLexical(
  context: SearchContext,
  parts: SearchSqlParts & { text: string },
  params: SqlParams,
  k: number,
): Promise<Candidate[]> {
  parts.limit = params.add(k);
  const { rows } = await context.driver.query<HitRow>(lexicalSql(parts), params.values, {
    signal: context.signal,
    settings: [...(context.accessSettings ?? []), ...LEXICAL_SETTINGS],
  });
  return rows.map((row, i) => hitToCandidate(row, { lexical: [row.lexical_score as number, i + 1] }));
}

async function searchDense(
  context: SearchContext,
  parts: SearchSqlParts & { vector: string },
  params: SqlParams,
  request: PgSearchRequest,
  k: number,
): Promise<Candidate[]> {
  const mmr = request.mmr;
  const fetch = mmr === undefined ? k : mmrCandidates(mmr, k);
  parts.limit = params.add(fetch);
  parts.withEmbedding = mmr !== undefined;
  // The index settings go with the statement: one round trip on a server (see QueryOptions.settings).
  const { rows } = await context.driver.query<HitRow>(denseSql(parts), params.values, {
    signal: context.signal,
    settings: indexSearchSettings(context, request, fetch, parts.filter !== undefined),
  });
  const candidates = rows.map((row, i) =>
    hitToCandidate(row, { dense: [similarityFromDistance(context.metric, row.distance as number), i + 1] }),
  );
  if (mmr === undefined) return candidates;
  const embeddings = rows.map((row) => parseVector(row.embedding, 'embedding'));
  return mmrOrder(request.vector as Float32Array, embeddings, k, mmr.lambda).map((i) => candidates[i] as Candidate);
}

async function searchHybrid(
  context: SearchContext,
  parts: SearchSqlParts & { vector: string; text: string },
  params: SqlParams,
  request: PgSearchRequest,
  k: number,
): Promise<Candidate[]> {
  parts.limit = params.add(k);
  const sql = hybridSql({
    ...parts,
    rrfK: params.add(positiveNumber(request.rrfK ?? 60, 'rrfK')),
    denseWeight: params.add(nonNegativeNumber(request.denseWeight ?? 1, 'denseWeight')),
    lexicalWeight: params.add(nonNegativeNumber(request.lexicalWeight ?? 1, 'lexicalWeight')),
  });
  const { rows } = await context.driver.query<HitRow>(sql, params.values, {
    signal: context.signal,
    settings: [...indexSearchSettings(context, request, k, parts.filter !== undefined), ...LEXICAL_SETTINGS],
  });
  const similarity = (row: HitRow): [number, number] | undefined =>
    row.distance === null || row.distance === undefined
      ? undefined
      : [similarityFromDistance(context.metric, row.distance), row.dense_rank as number];
  return rows.map((row, i) =>
    hitToCandidate(row, {
      dense: similarity(row),
      lexical: row.lexical_score === null ? undefined : [row.lexical_score as number, row.lexical_rank as number],
      fused: [row.fused_score as number, i + 1],
    }),
  );
}

function queryVector(context: SearchContext, vector: Float32Array | undefined): string {
  if (!(vector instanceof Float32Array)) {
    throw new WinnowError('E_CONFIG_INVALID', 'dense and hybrid search need a query vector (Float32Array)', {
      field: 'vector',
    });
  }
  if (vector.length !== context.dimensions) {
    throw new WinnowError(
      'E_DIMENSION_MISMATCH',
      `the query vector has ${vector.length} dimensions, but collection '${context.collection}' stores ${context.dimensions} (model ${context.modelId})`,
      { field: 'vector', details: { expected: context.dimensions, actual: vector.length } },
    );
  }
  return formatVector(
    vector,
    context.dimensions,
    { owner: 'the query vector', field: 'vector' },
    maxMagnitude(context.vectorType),
  );
}

/**
 * The query text, cut to `maxQueryTokens` (at most MAX_QUERY_TOKENS) even when the caller skipped the retriever,
 * which cuts first and warns: longer text crashes PGlite's engine (see DEFAULT_MAX_QUERY_TOKENS).
 */
function queryText(text: string | undefined, maxQueryTokens: number | undefined): string {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new WinnowError('E_EMPTY_QUERY', 'lexical and hybrid search need a non-empty query text', { field: 'text' });
  }
  const max = Math.min(maxQueryTokens ?? DEFAULT_MAX_QUERY_TOKENS, MAX_QUERY_TOKENS);
  return boundQueryText(text, Number.isInteger(max) && max > 0 ? max : DEFAULT_MAX_QUERY_TOKENS).text;
}

function lexicalSyntax(syntax: LexicalSyntax | undefined): LexicalSyntax {
  if (syntax === undefined || syntax === 'plain' || syntax === 'websearch') return syntax ?? 'plain';
  throw new WinnowError(
    'E_CONFIG_INVALID',
    `unknown lexicalSyntax ${JSON.stringify(syntax)}; expected plain or websearch`,
    {
      field: 'lexicalSyntax',
    },
  );
}

function positiveNumber(value: number, field: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new WinnowError('E_CONFIG_INVALID', `expected a positive number, got ${value}`, { field });
  }
  return value;
}

function nonNegativeNumber(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new WinnowError('E_CONFIG_INVALID', `expected a number >= 0, got ${value}`, { field });
  }
  return value;
}

function mmrCandidates(mmr: MmrOptions, k: number): number {
  if (typeof mmr.lambda !== 'number' || !(mmr.lambda >= 0 && mmr.lambda <= 1)) {
    throw new WinnowError('E_CONFIG_INVALID', `mmr.lambda must be between 0 and 1, got ${String(mmr.lambda)}`, {
      field: 'mmr.lambda',
    });
  }
  return checkInteger(mmr.candidates ?? Math.min(MAX_K, Math.max(4 * k, 20)), k, MAX_K, 'mmr.candidates');
}

/** Transaction-local planner settings (SET LOCAL) for the vector index, as [name, value] pairs. */
function indexSearchSettings(
  context: SearchContext,
  request: PgSearchRequest,
  k: number,
  filtered: boolean,
): Array<[string, string]> {
  const settings: Array<[string, string]> = [...(context.accessSettings ?? [])];
  // A filter (or a principal's predicate) drops rows after the index scan, so the scan must go on past them.
  const iterative = filtered && context.iterativeScan !== 'off' && context.iterativeScanSupported;
  if (context.index.type === 'hnsw') {
    const efSearch =
      request.efSearch === undefined
        ? context.defaultEfSearch
        : checkInteger(request.efSearch, 1, MAX_EF_SEARCH, 'efSearch');
    // An HNSW scan yields at most ef_search rows, so a k above it would be cut short.
    settings.push(['hnsw.ef_search', String(Math.min(MAX_EF_SEARCH, Math.max(efSearch, k)))]);
    if (iterative) settings.push(['hnsw.iterative_scan', context.iterativeScan]);
  } else if (context.index.type === 'ivfflat') {
    if (context.ivfflatProbes !== undefined) settings.push(['ivfflat.probes', String(context.ivfflatProbes)]);
    // IVFFlat supports only relaxed order.
    if (iterative) settings.push(['ivfflat.iterative_scan', 'relaxed_order']);
  }
  return settings;
}
