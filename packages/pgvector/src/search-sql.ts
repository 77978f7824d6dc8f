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
  /** Lexical: the text is web-search syntax (quotes, -word, or: websearch_to_tsquery decides the matches). */
  websearch?: boolean;
  /**
   * Lexical: how many query terms get a postings branch of their own (`lexicalBranchCount`); a query with more
   * known terms than this is scored by the general loop instead (see `scoredChunks`).
   */
  termBranches?: number;
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
  // Only the bare `embedding <op> constant` form matches the index's ORDER BY (the output column `distance` is that
  // form, and names the vector once: inlined in a one-message batch, a 384-d literal is ~5 KB); `+ 0` hides it.
  const order = parts.exact === true ? `(${distance}) + 0` : 'distance';
  return `select c.id, ${distance} as distance from ${fromChunks(parts)} ${where(parts)}
    order by ${order} limit ${parts.limit}`;
}

/** BM25 parameters (the common defaults of Lucene and Elasticsearch, as in BEIR's BM25 baseline). */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/**
 * One term's BM25 weight in one chunk, before idf: tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen)), in float8 only.
 * (Numeric literals made `b·len` numeric arithmetic: 0.35 µs a posting against 0.08 µs in float8, measured over
 * 2M rows on the server, with the same sum to the last digit: the constants convert to float8 exactly as before.)
 */
export function bm25TermWeight(tf: string, length: string, avglen: string): string {
  const f = (value: number) => `${value}::float8`;
  return `(${tf} * ${f(BM25_K1 + 1)}) / (${tf} + ${f(BM25_K1)} * (${f(1 - BM25_B)} + ${f(BM25_B)} * ${length} / ${avglen}))`;
}

/**
 * The query's terms with the collection's statistics, read from the tables the chunk triggers maintain
 * (bm25-schema.ts) instead of counted at query time: the old count over every chunk cost ~0.4 s per SciFact query.
 * `terms` holds each distinct query lexeme the collection has, with idf = ln(1 + (N − df + 0.5)/(df + 0.5)) and the
 * mean chunk length avglen (N at least 1; avglen 1 for an empty collection). The query's lexemes come from the same
 * to_tsvector as the chunks' (the collection's configuration). The statistics ride on each term row rather than in a
 * CTE of their own, read by key (`id = 1`) so the planner knows it is one row: estimated at 1,700 rows, it made
 * estimates in the billions, a JIT compilation of the statement (1.1 s) and a merge join over all postings.
 */
function lexicalCtes(parts: SearchSqlParts & { text: string }): string {
  // textSearch is validated to 'english' | 'simple', so it is safe as a literal.
  const config = `'${parts.textSearch}'::regconfig`;
  const b = parts.tables.bm25;
  const ctes = [
    `terms as materialized (
      select t.lexeme, ln(1 + (s.n - t.df + 0.5) / (t.df + 0.5)) as idf, s.avglen,
        row_number() over (order by t.lexeme) as ord
      from (select distinct lexeme from unnest(tsvector_to_array(to_tsvector(${config}, ${parts.text}::text))) as lexeme) q
        join ${b.terms} t on t.lexeme = q.lexeme collate "C"
        cross join (select greatest(chunks, 1)::float8 as n, coalesce(total_length::float8 / nullif(chunks, 0), 1) as avglen
          from ${b.stats} where id = 1) s
    )`,
  ];
  // Web-search syntax only when asked for: websearch_to_tsquery's rule then decides which chunks match.
  if (parts.websearch === true)
    ctes.push(`query as (select websearch_to_tsquery(${config}, ${parts.text}::text) as q)`);
  return ctes.join(',\n    ');
}

/**
 * Every chunk holding a query term, scored from the postings of the query's terms alone: Σ over the terms it
 * holds of idf × weight.
 *
 * Summing per chunk is most of a query's time (a SciFact claim over 1M chunks: 1.27 M postings into 765k sums).
 * Each term's postings are already in chunk order in the primary key (lexeme, chunk_no), so one branch per term,
 * read in that order and merged (Merge Append), arrives grouped with no sort: 76–90 ms against 157–168 ms for one
 * claim over 200k chunks, the same sums. The branches are numbered (`terms.ord`), so the statement is fixed before
 * the terms are known; a branch past the last term reads nothing. The plan needs index scans and no parallel
 * workers (`MERGED_TERMS_SETTINGS`); a query with more known terms than branches takes the general loop below,
 * one LATERAL lookup per term and a sort, as before.
 */
function scoredChunks(parts: SearchSqlParts): string {
  const postings = parts.tables.bm25.postings;
  const weight = (term: string) =>
    `(select idf from terms where ord = ${term}) * ${bm25TermWeight('p.tf::float8', 'p.len', `(select avglen from terms where ord = ${term})`)}`;
  const loop = `select p.chunk_no, sum(t.idf * ${bm25TermWeight('p.tf::float8', 'p.len', 't.avglen')}) as score
    from terms t cross join lateral (
      select p.chunk_no, p.tf, p.len from ${postings} p where p.lexeme = t.lexeme
    ) p
    group by p.chunk_no`;
  const branches = parts.termBranches ?? 0;
  if (branches === 0) return loop;
  const merged = Array.from(
    { length: branches },
    (_, i) => `(select p.chunk_no, ${weight(String(i + 1))} as w from ${postings} p
      where p.lexeme = (select lexeme from terms where ord = ${i + 1}) order by p.chunk_no)`,
  ).join('\n      union all ');
  const fits = `(select count(*) from terms) <= ${branches}`;
  return `select m.chunk_no, sum(m.w) as score from (${merged}) m where ${fits} group by m.chunk_no
    union all
    select l.chunk_no, l.score from (${loop}) l where not ${fits}`;
}

/** The most postings branches a statement gets: planning costs ~0.2 ms a branch. */
export const MAX_TERM_BRANCHES = 32;

/**
 * Branches for a query text: its runs of letters and digits, the most lexemes the text search parser makes from it
 * but for compounds (`state-of-the-art` also gives its parts), which a query with spare branches absorbs and one
 * without takes the general path for. Stop words and unknown terms leave branches empty.
 */
export function lexicalBranchCount(text: string): number {
  return Math.min(MAX_TERM_BRANCHES, text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0);
}

/**
 * Settings for the merged term branches: ordered index scans (a bitmap scan with a sort per term was the planner's
 * estimate-led choice, and as slow as the general loop) and no parallel workers (a parallel plan sorts again).
 */
export const MERGED_TERMS_SETTINGS: Array<[string, string]> = [
  ['enable_bitmapscan', 'off'],
  ['max_parallel_workers_per_gather', '0'],
];

/**
 * Lexical top-k by BM25 (PostgreSQL's own ts_rank_cd has no idf and ranks questions far worse: 0.32 against 0.66
 * nDCG@10 on SciFact). A plain query is a bag of its terms: any chunk holding any of them matches. Every match is
 * scored (exact), then taken best first: the LATERAL lookup of its id (and, with a filter or web-search syntax, of
 * its chunk and document, tested there) runs only until k have passed, ties broken by id as before. Joining every
 * scored chunk first made a filtered query 4.7× slower than an unfiltered one (p50 282 against 60 ms, 55k chunks,
 * k 50, a filter keeping everything); taken best first it costs the same (31 against 36 ms).
 */
function lexicalHits(parts: SearchSqlParts & { text: string }): string {
  const b = parts.tables.bm25;
  const tests = [parts.websearch === true ? 'c.tsv @@ q.q' : undefined, parts.filter].filter(
    (test): test is string => test !== undefined,
  );
  const lookup =
    tests.length === 0
      ? `select n.chunk_id as id from ${b.chunks} n where n.chunk_no = x.chunk_no`
      : `select c.id from ${b.chunks} n join ${fromChunks(parts)} on c.id = n.chunk_id${parts.websearch === true ? ', query q' : ''}
        where n.chunk_no = x.chunk_no and ${tests.join(' and ')}`;
  return `select h.id, x.score from (select chunk_no, score from (${scoredChunks(parts)}) s order by score desc) x
    cross join lateral (${lookup}) h
    order by x.score desc, h.id limit ${parts.limit}`;
}

export function denseSql(parts: SearchSqlParts & { vector: string }): string {
  return `with hits as materialized (${denseHits(parts)})
    select ${outputColumns(parts.withEmbedding)}, h.distance
    from hits h join ${fromChunks(parts)} on c.id = h.id order by h.distance, c.id`;
}

/** The chunks table leads the statement, so the first 1,024 characters pg_stat_activity keeps name the collection. */
export function lexicalSql(parts: SearchSqlParts & { text: string }): string {
  return `select ${outputColumns(false)}, h.score as lexical_score
    from ${fromChunks(parts)} join (with ${lexicalCtes(parts)} ${lexicalHits(parts)}) h on h.id = c.id
    order by h.score desc, c.id`;
}

/**
 * Dense and lexical top-k fused by weighted reciprocal rank, w / (rrfK + rank), in one statement: two CTEs
 * ranked separately, a full outer join (a hit found by one side only gets nothing from the other), then the
 * k best fused scores.
 */
export function hybridSql(parts: HybridSqlParts): string {
  return `with ${lexicalCtes(parts)},
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
