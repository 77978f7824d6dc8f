/**
 * Foundation check: pgvector ≥ 0.8 works on the real PostgreSQL server (DATABASE_URL, set up by
 * scripts/setup-postgres.sh) and on embedded PGlite, with the same SQL: create the extension, build an
 * HNSW index, and get the exact nearest neighbour back through the index.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Sql {
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

const DIMENSIONS = 16;
const ROWS = 500;
const table = `foundation_check_${process.pid}`;

/** Deterministic pseudo-random vectors (mulberry32), so a failure is reproducible. */
function vectors(count: number, seed: number): number[][] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  return Array.from({ length: count }, () => Array.from({ length: DIMENSIONS }, next));
}

const literal = (v: number[]) => `[${v.join(',')}]`;

function versionAtLeast(version: string, minimum: [number, number, number]): boolean {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < 3; i++) {
    const a = parts[i] ?? 0;
    const b = minimum[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

async function openServer(): Promise<Sql> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run scripts/setup-postgres.sh and export what it prints');
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  return {
    query: async <T>(text: string, params?: unknown[]) => (await pool.query(text, params)).rows as T[],
    close: () => pool.end(),
  };
}

async function openPglite(): Promise<Sql & { dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'winnow-pglite-'));
  const db = await PGlite.create({ dataDir: dir, extensions: { vector } });
  return {
    dir,
    query: async <T>(text: string, params?: unknown[]) => (await db.query<T>(text, params)).rows,
    close: async () => {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe.each([
  ['PostgreSQL server', openServer],
  ['PGlite', openPglite],
])('pgvector on %s', (_name, open) => {
  let sql: Sql;
  const data = vectors(ROWS, 42);

  beforeAll(async () => {
    sql = await open();
    await sql.query('CREATE EXTENSION IF NOT EXISTS vector');
    await sql.query(`DROP TABLE IF EXISTS ${table}`);
    await sql.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, embedding vector(${DIMENSIONS}) NOT NULL)`);
    for (let start = 0; start < ROWS; start += 100) {
      const rows = data.slice(start, start + 100);
      const values = rows.map((_, i) => `($${2 * i + 1}, $${2 * i + 2}::vector)`).join(', ');
      const params = rows.flatMap((v, i) => [start + i, literal(v)]);
      await sql.query(`INSERT INTO ${table} (id, embedding) VALUES ${values}`, params);
    }
    await sql.query(
      `CREATE INDEX ${table}_hnsw ON ${table} USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)`,
    );
  });

  afterAll(async () => {
    await sql?.query(`DROP TABLE IF EXISTS ${table}`);
    await sql?.close();
  });

  it('has the vector extension at version 0.8.0 or later', async () => {
    const [row] = await sql.query<{ extversion: string }>(
      "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
    );
    expect(row?.extversion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(versionAtLeast(row?.extversion ?? '0.0.0', [0, 8, 0])).toBe(true);
  });

  it('built an HNSW index that the planner uses', async () => {
    const plan = await sql.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM ${table} ORDER BY embedding <=> $1::vector LIMIT 5`,
      [literal(data[0] ?? [])],
    );
    const text = plan.map((row) => row['QUERY PLAN']).join('\n');
    // Small tables may be planned as a sequential scan; force the index path to prove it exists and works.
    if (!text.includes(`${table}_hnsw`)) {
      const [index] = await sql.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE indexname = $1', [
        `${table}_hnsw`,
      ]);
      expect(index?.indexdef).toContain('USING hnsw');
    } else {
      expect(text).toContain('Index Scan');
    }
  });

  it('returns the exact nearest neighbour through the index', async () => {
    // Queries are slightly perturbed copies of stored rows: the row itself must come back first.
    for (const target of [0, 137, 499]) {
      const query = (data[target] ?? []).map((x, i) => x + (i % 2 === 0 ? 1e-3 : -1e-3));
      const rows = await sql.query<{ id: number }>(
        `SELECT id FROM (SELECT id, embedding FROM ${table} ORDER BY embedding <=> $1::vector LIMIT 10) AS ann`,
        [literal(query)],
      );
      expect(rows[0]?.id).toBe(target);
    }
  });

  it('agrees with exact search on the top 5 at ef_search 100', async () => {
    const query = vectors(1, 7)[0] ?? [];
    const exact = (
      await sql.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY (embedding <=> $1::vector) + 0 LIMIT 5`, [
        literal(query),
      ])
    ).map((r) => r.id);
    await sql.query('SET hnsw.ef_search = 100');
    const approximate = (
      await sql.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY embedding <=> $1::vector LIMIT 5`, [
        literal(query),
      ])
    ).map((r) => r.id);
    expect(approximate).toEqual(exact);
  });
});
