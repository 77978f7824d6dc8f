import type { CollectionTables } from '../src/naming.js';
import { BM25_B, BM25_K1 } from '../src/search-sql.js';

/**
 * Lexical recall as it was before the maintained statistics (schema version 4), kept as the reference that the
 * new SQL must equal: BM25 computed at query time from the chunks' tsvectors, N and avglen counted over the
 * whole table and each df counted through the GIN index. Bench and tests only.
 *
 * `rule` picks the matching chunks: 'any' (any query term, the plain-question rule), 'websearch'
 * (websearch_to_tsquery), or 'old' (websearch when the text looks like syntax, as lexical recall used to decide).
 */
export type LegacyRule = 'any' | 'websearch' | 'old';

export function legacyLexicalSql(
  tables: CollectionTables,
  textSearch: 'english' | 'simple',
  placeholders: { text: string; limit: string },
  rule: LegacyRule,
): string {
  const config = `'${textSearch}'::regconfig`;
  const text = `${placeholders.text}::text`;
  const anyTerm = `coalesce(nullif(replace(plainto_tsquery(${config}, ${text})::text, ' & ', ' | '), '')::tsquery, ''::tsquery)`;
  const websearch = `websearch_to_tsquery(${config}, ${text})`;
  const query =
    rule === 'any'
      ? anyTerm
      : rule === 'websearch'
        ? websearch
        : `case when ${text} ~* '(^|\\s)(-\\S|or\\s)|"' then ${websearch} else ${anyTerm} end`;
  const quote = 'chr(39)';
  const escaped = `replace(replace(w.lexeme, chr(92), chr(92) || chr(92)), ${quote}, ${quote} || ${quote})`;
  const termQuery = `(${quote} || ${escaped} || ${quote})::tsquery`;
  return `with query as (select ${query} as query),
    stats as (select greatest(count(*), 1)::float8 as n, coalesce(avg(greatest(length(tsv), 1)), 1)::float8 as avglen
      from ${tables.chunks}),
    words as (select distinct lexeme from unnest(tsvector_to_array(to_tsvector(${config}, ${text}))) as lexeme),
    terms as (
      select w.lexeme, ln(1 + (s.n - df.n + 0.5) / (df.n + 0.5)) as idf
      from words w, stats s,
        lateral (select count(*)::float8 as n from ${tables.chunks} c where c.tsv @@ ${termQuery}) df
    )
    select c.id, sum(t.idf * (u.tf * ${BM25_K1 + 1}) /
      (u.tf + ${BM25_K1} * (${1 - BM25_B} + ${BM25_B} * greatest(length(c.tsv), 1) / s.avglen))) as score
    from query q, stats s, ${tables.chunks} c
    cross join lateral (
      select x.lexeme, coalesce(array_length(x.positions, 1), 1)::float8 as tf from unnest(c.tsv) x
    ) u
    join terms t on t.lexeme = u.lexeme
    where c.tsv @@ q.query
    group by c.id order by score desc, c.id limit ${placeholders.limit}`;
}
