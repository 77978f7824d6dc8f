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

/** BM25 parameters (the common defaults of Lucene and Elasticsearch, as in BEIR's BM25 baseline). */
const BM25_K1 = 1.2;
const BM25_B = 0.75;

/**
 * Lexical top-k scored by BM25 over the generated tsvector: for each query term in a chunk,
 * idf × tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen)), with idf = ln(1 + (N − df + 0.5)/(df + 0.5)).
 * Term frequencies are the lexemes' position counts, lengths the chunks' lexeme counts, and document
 * frequencies come from the GIN index, so no statistics table has to be kept in step with writes.
 * (PostgreSQL's own ts_rank_cd has no idf and ranks questions far worse: 0.32 against 0.66 nDCG@10 on SciFact.)
 */
function lexicalHits(parts: SearchSqlParts & { text: string }): string {
  return `select c.id, sum(t.idf * (u.tf * ${BM25_K1 + 1}) /
      (u.tf + ${BM25_K1} * (${1 - BM25_B} + ${BM25_B} * greatest(length(c.tsv), 1) / s.avglen))) as score
    from query q, stats s, ${fromChunks(parts)}
    cross join lateral (
      select x.lexeme, coalesce(array_length(x.positions, 1), 1)::float8 as tf from unnest(c.tsv) x
    ) u
    join terms t on t.lexeme = u.lexeme
    ${where(parts, 'c.tsv @@ q.query')}
    group by c.id order by score desc, c.id limit ${parts.limit}`;
}

/**
 * The lexical query. Plain natural-language text (the usual case: a question) matches ANY of its terms, ranked by
 * BM25; requiring ALL terms (websearch_to_tsquery's AND) would return nothing for most questions. Text that uses
 * web-search syntax (a "quoted phrase", -exclusion, or OR) is taken as the user wrote it. Beside the query: the
 * collection's size and mean chunk length, and each query term with its idf.
 */
function queryCte(parts: SearchSqlParts & { text: string }): string {
  // textSearch is validated to 'english' | 'simple', so it is safe as a literal.
  const config = `'${parts.textSearch}'::regconfig`;
  const text = `${parts.text}::text`;
  const anyTerm = `coalesce(nullif(replace(plainto_tsquery(${config}, ${text})::text, ' & ', ' | '), '')::tsquery, ''::tsquery)`;
  // A lexeme as a one-term tsquery, quoted with quotes and backslashes doubled, so it is matched verbatim.
  const quote = 'chr(39)';
  const escaped = `replace(replace(w.lexeme, chr(92), chr(92) || chr(92)), ${quote}, ${quote} || ${quote})`;
  const termQuery = `(${quote} || ${escaped} || ${quote})::tsquery`;
  return `query as (select case when ${text} ~* '(^|\\s)(-\\S|or\\s)|"' then websearch_to_tsquery(${config}, ${text})
      else ${anyTerm} end as query),
    stats as (select greatest(count(*), 1)::float8 as n, coalesce(avg(greatest(length(tsv), 1)), 1)::float8 as avglen
      from ${parts.tables.chunks}),
    words as (select distinct lexeme from unnest(tsvector_to_array(to_tsvector(${config}, ${text}))) as lexeme),
    terms as (
      select w.lexeme, ln(1 + (s.n - df.n + 0.5) / (df.n + 0.5)) as idf
      from words w, stats s,
        lateral (select count(*)::float8 as n from ${parts.tables.chunks} c where c.tsv @@ ${termQuery}) df
    )`;
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
