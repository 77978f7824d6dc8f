import { migrateAccessControl } from './access-sql.js';
import { createBm25Statistics } from './bm25-schema.js';
import type { SqlExecutor } from './driver.js';
import type { CollectionTables } from './naming.js';
import type { CollectionSettings } from './settings.js';

/**
 * A schema step. Versions are applied in order, once each, recorded in `<collection>_migrations`; every
 * statement is idempotent (IF NOT EXISTS) so a half-recorded step can be re-run safely.
 */
export interface Migration {
  version: number;
  name: string;
  apply(tx: SqlExecutor, tables: CollectionTables, settings: CollectionSettings): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'collection, documents and chunks tables',
    async apply(tx, t, s) {
      await tx.query(`create table if not exists ${t.info} (
        id int primary key default 1 check (id = 1),
        model_id text not null,
        dimensions int not null check (dimensions > 0),
        metric text not null,
        vector_type text not null,
        text_search text not null,
        created_at timestamptz not null default now()
      )`);
      await tx.query(
        `insert into ${t.info} (model_id, dimensions, metric, vector_type, text_search)
         values ($1, $2, $3, $4, $5) on conflict (id) do nothing`,
        [s.modelId, s.dimensions, s.metric, s.vectorType, s.textSearch],
      );
      await tx.query(`create table if not exists ${t.documents} (
        id text primary key,
        uri text not null,
        content_hash text not null,
        title text,
        metadata jsonb not null default '{}',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
      // dimensions and text_search are validated (integer; 'english' | 'simple'), so they are safe in DDL.
      await tx.query(`create table if not exists ${t.chunks} (
        id text primary key,
        document_id text not null references ${t.documents} (id) on delete cascade,
        ordinal int not null check (ordinal >= 0),
        text text not null,
        embed_text text,
        heading_path text[] not null default '{}',
        provenance jsonb not null,
        metadata jsonb not null default '{}',
        token_count int not null,
        hash text not null,
        embedding ${s.vectorType}(${s.dimensions}) not null,
        tsv tsvector generated always as (to_tsvector('${s.textSearch}'::regconfig, text)) stored,
        unique (document_id, ordinal)
      )`);
    },
  },
  {
    version: 2,
    name: 'lexical (GIN) and embedding-reuse (hash) indexes',
    async apply(tx, t) {
      await tx.query(`create index if not exists ${t.textIndex} on ${t.chunks} using gin (tsv)`);
      await tx.query(`create index if not exists ${t.hashIndex} on ${t.chunks} (hash)`);
    },
  },
  {
    version: 3,
    name: 'keep embeddings inline (storage main)',
    async apply(tx, t) {
      // pgvector's default (external) moves the vector out of line as soon as a row passes ~2 kB, which a
      // 384-d vector plus text and tsvector does: every distance then costs a TOAST fetch (measured: exact
      // scans 2x slower, and the planner, blind to TOAST, picks them over the index). MAIN keeps the vector
      // in the row and moves text out first. Affects rows written from now on.
      await tx.query(`alter table ${t.chunks} alter column embedding set storage main`);
    },
  },
  {
    version: 4,
    name: 'maintained BM25 statistics (postings, document frequencies, collection size) kept by triggers',
    apply: (tx, t) => createBm25Statistics(tx, t),
  },
  {
    version: 5,
    name: 'access control: access columns from document metadata, row-level security policies',
    apply: (tx, t) => migrateAccessControl(tx, t),
  },
  {
    version: 6,
    name: 'drop the GIN index on tsv (lexical recall reads the BM25 postings of migration 4)',
    async apply(tx, t) {
      // No query reads it since migration 4, and every chunk write paid for it: writing SciFact's 5,183 chunks took
      // 3.34 s with it and 2.92 s without (median of 3 alternated runs on the server), and it held 77 MB at 200k chunks.
      await tx.query(`drop index if exists ${t.textIndex}`);
    },
  },
];

/** Applies the migrations not yet recorded; the caller runs this inside one transaction. */
export async function applyMigrations(
  tx: SqlExecutor,
  tables: CollectionTables,
  settings: CollectionSettings,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  // Checked first: CREATE ... IF NOT EXISTS needs the CREATE privilege even when the table exists, and a reader
  // role (access control's grantReader) opens a current collection with SELECT alone.
  const { rows: present } = await tx.query<{ present: boolean }>('select to_regclass($1) is not null as present', [
    tables.migrations,
  ]);
  if (present[0]?.present !== true) {
    await tx.query(`create table if not exists ${tables.migrations} (
      version int primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`);
  }
  const { rows } = await tx.query<{ version: number }>(`select version from ${tables.migrations}`);
  const applied = new Set(rows.map((row) => row.version));
  const newlyApplied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    await migration.apply(tx, tables, settings);
    await tx.query(`insert into ${tables.migrations} (version, name) values ($1, $2)`, [
      migration.version,
      migration.name,
    ]);
    newlyApplied.push(migration.version);
  }
  return newlyApplied;
}
