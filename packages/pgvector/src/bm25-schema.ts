import type { SqlExecutor } from './driver.js';
import type { CollectionTables } from './naming.js';

/**
 * BM25 statistics kept in step with the chunks table by statement-level triggers with transition tables, so
 * COPY, INSERT, DELETE, UPDATE, ON DELETE CASCADE and TRUNCATE all maintain them in the writing transaction,
 * and the write path stays unaware of them. A lexical query then reads only its terms' postings:
 *
 * - stats: one row, the chunk count and the sum of chunk lengths (N and avglen);
 * - chunks: each chunk's number (an 8-byte key, a quarter of the 33-byte text id in every posting) and length;
 * - terms: lexeme → document frequency (df), rows removed when df reaches 0;
 * - postings: (lexeme, chunk number) → term frequency and the chunk's length, so a term's contribution to a
 *   chunk's score needs nothing but its posting.
 *
 * The quantities are those the tsvector gives, as lexical search always used: a term's frequency is its position
 * count, a chunk's length its number of distinct lexemes (at least 1).
 */

/** Lexemes compare bytewise: cheaper than a linguistic collation, and their order only serves the btrees. */
const LEXEME = 'text collate "C" not null';

/** A term's frequency in a chunk, from one `unnest(tsvector)` row `u`. */
const TERM_FREQUENCY = 'coalesce(array_length(u.positions, 1), 1)';

/** A chunk's length for BM25, from its tsvector. */
function chunkLength(tsv: string): string {
  return `greatest(length(${tsv}), 1)`;
}

async function createTables(tx: SqlExecutor, b: CollectionTables['bm25']): Promise<void> {
  await tx.query(`create table if not exists ${b.stats} (
    id int primary key default 1 check (id = 1),
    chunks bigint not null check (chunks >= 0),
    total_length bigint not null check (total_length >= 0)
  )`);
  await tx.query(`create table if not exists ${b.chunks} (
    chunk_no bigint generated always as identity primary key,
    chunk_id text not null unique,
    length int not null
  )`);
  await tx.query(`create table if not exists ${b.terms} (
    lexeme ${LEXEME} primary key,
    df int not null check (df > 0)
  )`);
  // The primary key serves both reads (a term's postings) and deletes (one posting). Columns in alignment order
  // (8, 4, 2 bytes, then the varlena) keep each posting at its minimum width.
  await tx.query(`create table if not exists ${b.postings} (
    chunk_no bigint not null,
    len int not null,
    tf smallint not null,
    lexeme ${LEXEME},
    primary key (lexeme, chunk_no)
  )`);
}

/**
 * The postings of chunks `rows` (with a tsvector `tsv` and an `id`) numbered in `numbered` (chunk_no, chunk_id,
 * length), in index order: sorted inserts touch each btree page once (SciFact's 488k postings: 4.0 s against 7.1 s
 * unsorted on the server).
 */
function postingRows(numbered: string, rows: string): string {
  return `select n.chunk_no, n.length, ${TERM_FREQUENCY}, u.lexeme
      from ${numbered} n join ${rows} r on r.id = n.chunk_id cross join lateral unnest(r.tsv) u
      order by u.lexeme collate "C", n.chunk_no`;
}

const POSTING_COLUMNS = '(chunk_no, len, tf, lexeme)';

/**
 * Every trigger first updates the one stats row. That row lock makes writers of a collection take the terms'
 * row locks one transaction at a time, so two writers cannot deadlock on them; lexemes are also upserted in
 * sorted order. (Writers of one collection already serialise on the df rows of common terms.)
 */
function addChunks(t: CollectionTables, rows: string): string {
  const b = t.bm25;
  return `
    update ${b.stats} s set chunks = s.chunks + x.n, total_length = s.total_length + x.total
      from (select count(*) as n, coalesce(sum(${chunkLength('r.tsv')}), 0) as total from ${rows} r) x
      where s.id = 1;
    with numbered as (
      insert into ${b.chunks} (chunk_id, length)
        select r.id, ${chunkLength('r.tsv')} from ${rows} r
        returning chunk_no, chunk_id, length
    )
    insert into ${b.postings} ${POSTING_COLUMNS} ${postingRows('numbered', rows)};
    insert into ${b.terms} (lexeme, df)
      select u.lexeme, count(*) from ${rows} r cross join lateral unnest(r.tsv) u
      group by u.lexeme order by u.lexeme collate "C"
      on conflict (lexeme) do update set df = ${b.terms}.df + excluded.df;`;
}

function removeChunks(t: CollectionTables, rows: string): string {
  const b = t.bm25;
  return `
    update ${b.stats} s set chunks = s.chunks - x.n, total_length = s.total_length - x.total
      from (select count(*) as n, coalesce(sum(${chunkLength('r.tsv')}), 0) as total from ${rows} r) x
      where s.id = 1;
    with gone as (delete from ${b.chunks} c using ${rows} r where c.chunk_id = r.id returning c.chunk_no, c.chunk_id)
    delete from ${b.postings} p
      using gone g join ${rows} r on r.id = g.chunk_id cross join lateral unnest(r.tsv) u
      where p.lexeme = u.lexeme and p.chunk_no = g.chunk_no;
    with counts as (
      select u.lexeme, count(*) as n from ${rows} r cross join lateral unnest(r.tsv) u group by u.lexeme
    ),
    emptied as (
      delete from ${b.terms} t using counts c where t.lexeme = c.lexeme and t.df <= c.n returning t.lexeme
    )
    update ${b.terms} t set df = t.df - c.n from counts c where t.lexeme = c.lexeme and t.df > c.n;`;
}

/** A statement that changed no rows (a delete of a new document's old chunks) costs one probe. */
function triggerFunction(name: string, rows: string, body: string): string {
  return `create or replace function ${name}() returns trigger language plpgsql as $bm25$
    begin
      if not exists (select from ${rows}) then return null; end if;
      ${body}
      return null;
    end $bm25$`;
}

async function createTriggers(tx: SqlExecutor, t: CollectionTables): Promise<void> {
  const b = t.bm25;
  await tx.query(triggerFunction(b.onInsert, 'new_rows', addChunks(t, 'new_rows')));
  await tx.query(triggerFunction(b.onDelete, 'old_rows', removeChunks(t, 'old_rows')));
  // An update is the removal of the old rows and the addition of the new ones (ids may change too).
  await tx.query(
    triggerFunction(b.onUpdate, 'old_rows', `${removeChunks(t, 'old_rows')}\n${addChunks(t, 'new_rows')}`),
  );
  await tx.query(`create or replace function ${b.onTruncate}() returns trigger language plpgsql as $bm25$
    begin
      truncate ${b.postings}, ${b.terms}, ${b.chunks};
      update ${b.stats} set chunks = 0, total_length = 0 where id = 1;
      return null;
    end $bm25$`);
  // Transition tables need the REFERENCING clause between the event and FOR EACH STATEMENT.
  await tx.query(`create or replace trigger bm25_insert after insert on ${t.chunks}
    referencing new table as new_rows for each statement execute function ${b.onInsert}()`);
  await tx.query(`create or replace trigger bm25_delete after delete on ${t.chunks}
    referencing old table as old_rows for each statement execute function ${b.onDelete}()`);
  await tx.query(`create or replace trigger bm25_update after update on ${t.chunks}
    referencing old table as old_rows new table as new_rows for each statement execute function ${b.onUpdate}()`);
  await tx.query(`create or replace trigger bm25_truncate after truncate on ${t.chunks}
    for each statement execute function ${b.onTruncate}()`);
}

/** Fills the statistics from the chunks already stored (a collection created before version 4). */
async function backfill(tx: SqlExecutor, t: CollectionTables): Promise<void> {
  const b = t.bm25;
  const { rowCount } = await tx.query(
    `insert into ${b.stats} (id, chunks, total_length)
     select 1, count(*), coalesce(sum(${chunkLength('tsv')}), 0) from ${t.chunks}
     on conflict (id) do nothing`,
  );
  if (rowCount === 0) return; // Filled by an earlier run of this step.
  // Minutes for a large collection (55k chunks: ~40 s on the server); statement_timeout is for runaway searches.
  await tx.query(`select set_config('statement_timeout', '0', true)`);
  await tx.query(`insert into ${b.chunks} (chunk_id, length) select id, ${chunkLength('tsv')} from ${t.chunks}`);
  await tx.query(`insert into ${b.postings} ${POSTING_COLUMNS} ${postingRows(b.chunks, t.chunks)}`);
  await tx.query(`insert into ${b.terms} (lexeme, df) select lexeme, count(*) from ${b.postings} group by lexeme`);
}

/**
 * Migration step: tables, triggers, then the backfill. The triggers come first: CREATE TRIGGER waits for
 * writers in flight and blocks new ones until this transaction commits, so every chunk is counted exactly once,
 * by the backfill (committed before) or by a trigger (written after).
 */
export async function createBm25Statistics(tx: SqlExecutor, t: CollectionTables): Promise<void> {
  await createTables(tx, t.bm25);
  await createTriggers(tx, t);
  await backfill(tx, t);
}

/** Names for `drop`: the statistics' tables and trigger functions (the triggers go with the chunks table). */
export function bm25DropSql(t: CollectionTables): string[] {
  const b = t.bm25;
  return [
    `drop table if exists ${b.postings}, ${b.terms}, ${b.chunks}, ${b.stats}`,
    `drop function if exists ${b.onInsert}(), ${b.onDelete}(), ${b.onUpdate}(), ${b.onTruncate}()`,
  ];
}
