import type { DistanceMetric } from '@winnow/core';
import type { CollectionTables } from './naming.js';
import { metricOperator, type TextSearchConfig, type VectorType } from './settings.js';

export interface SearchSqlParts {
  tables: CollectionTables;
  metric: DistanceMetric;
  vectorType: VectorType;
  textSearch: TextSearchConfig;
  /** Placeholder of the query vector (pgvector text). */
  vector?: string;
  /** Placeholder of the query text. */
  text?: string;
  /** Placeholder of k. */
  limit: string;
  /** A compiled filter expression, or undefined for none. */
  filter?: string;
  /** Also return each hit's embedding as text (for MMR). */
  withEmbedding?: boolean;
  /** Order by an expression the vector index cannot serve, forcing an exact scan. */
  exact?: boolean;
}

export interface HybridSqlParts extends SearchSqlParts {
  vector: string;
  text: string;
  rrfK: string;
  denseWeight: string;
  lexicalWeight: string;
}

/** The columns every search returns about a hit (chunk `c`, document `d`). */
function outputColumns(withEmbedding: boolean | undefined): string {
  return `c.id, c.document_id, c.ordinal, c.text, c.embed_text, c.heading_path, c.provenance,
    c.metadata as chunk_metadata, c.token_count, c.hash,
    d.uri, d.content_hash, d.title, d.metadata as document_metadata${withEmbedding === true ? ', c.embedding::text as embedding' : ''}`;
}

function fromChunks(parts: SearchSqlParts): string {
  return `${parts.tables.chunks} c join ${parts.tables.documents} d on d.id = c.document_id`;
}

function where(parts: SearchSqlParts, extra?: string): string {
  const tests = [extra, parts.filter].filter((test): test is string => test !== undefined);
  return tests.length === 0 ? '' : `where ${tests.join(' and ')}`;
}

/**
 * Nearest neighbours by the collection's metric. The inner query is exactly the ORDER BY distance LIMIT k
 * shape the vector index serves; it is MATERIALIZED and re-sorted outside because an iterative index scan
 * in relaxed order may return rows slightly out of order.
 */
function denseHits(parts: SearchSqlParts & { vector: string }): string {
  const distance = `c.embedding ${metricOperator(parts.metric)} ${parts.vector}::${parts.vectorType}`;
  // Only the bare `embedding <op> constant` form matches the index's ORDER BY; `+ 0` hides it from the index.
  const order = parts.exact === true ? `(${distance}) + 0` : distance;
  return `select c.id, ${distance} as distance from ${fromChunks(parts)} ${where(parts)}
    order by ${order} limit ${parts.limit}`;
}

function lexicalHits(parts: SearchSqlParts & { text: string }): string {
  return `select c.id, ts_rank_cd(c.tsv, q.query) as score from query q, ${fromChunks(parts)}
    ${where(parts, 'c.tsv @@ q.query')} order by score desc, c.id limit ${parts.limit}`;
}

/**
 * The lexical query. Plain natural-language text (the usual case: a question) matches ANY of its terms, ranked by
 * how many and how close, as BM25-style retrieval does; requiring ALL terms (websearch_to_tsquery's AND) would
 * return nothing for most questions. Text that uses web-search syntax (a "quoted phrase", -exclusion, or OR) is
 * taken as the user wrote it.
 */
function queryCte(parts: SearchSqlParts & { text: string }): string {
  // textSearch is validated to 'english' | 'simple', so it is safe as a literal.
  const config = `'${parts.textSearch}'::regconfig`;
  const text = `${parts.text}::text`;
  const anyTerm = `coalesce(nullif(replace(plainto_tsquery(${config}, ${text})::text, ' & ', ' | '), '')::tsquery, ''::tsquery)`;
  return `query as (select case when ${text} ~* '(^|\\s)(-\\S|or\\s)|"' then websearch_to_tsquery(${config}, ${text})
    else ${anyTerm} end as query)`;
}

export function denseSql(parts: SearchSqlParts & { vector: string }): string {
  return `with hits as materialized (${denseHits(parts)})
    select ${outputColumns(parts.withEmbedding)}, h.distance
    from hits h join ${fromChunks(parts)} on c.id = h.id order by h.distance, c.id`;
}

export function lexicalSql(parts: SearchSqlParts & { text: string }): string {
  return `with ${queryCte(parts)}, hits as (${lexicalHits(parts)})
    select ${outputColumns(false)}, h.score as lexical_score
    from hits h join ${fromChunks(parts)} on c.id = h.id order by h.score desc, c.id`;
}

/**
 * Dense and lexical top-k fused by weighted reciprocal rank, w / (rrfK + rank), in one statement: two CTEs
 * ranked separately, a full outer join (a hit found by one side only gets nothing from the other), then the
 * k best fused scores.
 */
export function hybridSql(parts: HybridSqlParts): string {
  return `with ${queryCte(parts)},
    dense_hits as materialized (${denseHits(parts)}),
    dense as (select id, distance, row_number() over (order by distance, id)::int as rank from dense_hits),
    lexical_hits as (${lexicalHits(parts)}),
    lexical as (select id, score, row_number() over (order by score desc, id)::int as rank from lexical_hits),
    fused as (
      select coalesce(dense.id, lexical.id) as id, dense.distance, dense.rank as dense_rank,
        lexical.score as lexical_score, lexical.rank as lexical_rank,
        coalesce(${parts.denseWeight}::float8 / (${parts.rrfK}::float8 + dense.rank), 0)
          + coalesce(${parts.lexicalWeight}::float8 / (${parts.rrfK}::float8 + lexical.rank), 0) as fused_score
      from dense full outer join lexical on lexical.id = dense.id
    )
    select ${outputColumns(false)}, f.distance, f.dense_rank, f.lexical_score, f.lexical_rank, f.fused_score
    from fused f join ${fromChunks(parts)} on c.id = f.id
    order by f.fused_score desc, c.id limit ${parts.limit}`;
}
