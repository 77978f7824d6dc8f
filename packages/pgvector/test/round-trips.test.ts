import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectionTables,
  createPgDriver,
  createPgliteDriver,
  openPgVectorStore,
  type PgVectorStore,
  type SqlDriver,
} from '../src/index.js';
import { inlineParameters, settingsBatch } from '../src/statement-batch.js';
import { axis, caught, DATABASES, documentWrite, openDatabase, uniqueCollection } from './helpers.js';

const url = process.env.DATABASE_URL as string;

describe('inlineParameters', () => {
  it('replaces placeholders but not $n inside strings, quoted names, dollar quotes or comments', () => {
    const sql = `select $1, '$2', E'\\'$2', "a$2", $$ $2 $$, $t$ $2 $t$, a$2 -- $2
      /* $2 */ $2`;
    expect(inlineParameters(sql, ['x', 'y'])).toBe(`select 'x', '$2', E'\\'$2', "a$2", $$ $2 $$, $t$ $2 $t$, a$2 -- $2
      /* $2 */ 'y'`);
  });

  it('names a placeholder without a value', async () => {
    expect((await caught(async () => inlineParameters('select $3', [1]))).code).toBe('E_CONFIG_INVALID');
  });

  it('refuses a setting name that is not a plain identifier', async () => {
    const error = await caught(async () => settingsBatch([['hnsw.ef_search; drop table x', '1']], 'select 1'));
    expect(error.code).toBe('E_CONFIG_INVALID');
  });
});

describe('one round trip per search on postgres', () => {
  let pool: pg.Pool;
  let driver: SqlDriver;
  let store: PgVectorStore;
  /** Messages sent (node-postgres sends one per query call and waits for its answer: one round trip each). */
  let sent = 0;

  beforeAll(async () => {
    // One connection, so a setting that leaked out of its statement would show on the next one.
    pool = new pg.Pool({ connectionString: url, max: 1, idleTimeoutMillis: 0 });
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        sent++;
        return query(...args);
      };
    });
    driver = createPgDriver({ pool, setting: 'DATABASE_URL' });
    store = await openPgVectorStore({ driver, collection: uniqueCollection('rt'), modelId: 'm', dimensions: 8 });
    await store.replaceDocuments([
      documentWrite('a', [
        { text: 'alpha beta', embedding: axis(8, 0) },
        { text: "gamma 'quoted' \\ delta", embedding: axis(8, 1) },
      ]),
    ]);
  });
  afterAll(async () => {
    await store?.drop();
    await pool?.end();
  });

  it.each([
    ['dense', { mode: 'dense' as const, vector: axis(8, 1), efSearch: 64 }],
    ['lexical', { mode: 'lexical' as const, text: "delta 'quoted'" }],
    ['hybrid', { mode: 'hybrid' as const, vector: axis(8, 1), text: "delta 'quoted'", efSearch: 64 }],
    [
      'filtered hybrid',
      {
        mode: 'hybrid' as const,
        vector: axis(8, 1),
        text: 'delta',
        filter: { field: 'ordinal', op: 'eq' as const, value: 1 },
      },
    ],
  ])('%s search is one message, with or without an AbortSignal', async (_, request) => {
    for (const signal of [undefined, new AbortController().signal]) {
      sent = 0;
      const hits = await store.search({ k: 5, ...request }, { signal });
      expect(sent).toBe(1);
      expect(hits[0]?.chunk.text).toBe("gamma 'quoted' \\ delta");
    }
  });

  it('applies the settings to the statement only', async () => {
    const settings = [['hnsw.ef_search', '77'] as const];
    const { rows } = await driver.query<{ v: string }>('select current_setting($1) as v', ['hnsw.ef_search'], {
      settings,
    });
    expect(rows[0]?.v).toBe('77');
    const after = await driver.query<{ v: string }>(`select current_setting('hnsw.ef_search') as v`);
    expect(after.rows[0]?.v).toBe('40');
  });

  it('passes any text through as the same value a bound parameter gives', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !s.includes('\0')),
        async (s) => {
          const { rows } = await driver.query<{ v: string; a: string[] }>(
            'select $1::text as v, $2::text[] as a',
            [s, [s, 'x']],
            {
              settings: [['hnsw.ef_search', '41']],
            },
          );
          expect(rows[0]).toEqual({ v: s, a: [s, 'x'] });
        },
      ),
      { numRuns: 50 },
    );
  });

  it('rolls back on an error and leaves the connection clean', async () => {
    const error = await caught(() =>
      driver.query('select 1 / (0 * $1::int)', [1], { settings: [['hnsw.ef_search', '99']] }),
    );
    expect(error.code).toBe('E_DB_QUERY');
    // `true`: no error where the pool opened a fresh connection that has not loaded pgvector yet.
    const { rows } = await driver.query<{ v: string | null }>(`select current_setting('hnsw.ef_search', true) as v`);
    expect(rows[0]?.v).not.toBe('99');
    expect((await driver.query<{ n: number }>('select 1 as n')).rows[0]?.n).toBe(1);
  });

  it('cancels a batch on the server when aborted', async () => {
    // Its own pool: the cancel is sent from a second connection.
    const own = createPgDriver({ url, setting: 'DATABASE_URL', maxConnections: 2 });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      // A marker no other statement carries, so the server's view below finds this batch only.
      const marker = `round_trip_cancel_${process.pid}_${Date.now()}`;
      const error = await caught(() =>
        own.query(`select pg_sleep(20) as ${marker}`, [], {
          signal: controller.signal,
          settings: [['hnsw.ef_search', '50']],
        }),
      );
      expect(error.code).toBe('E_ABORTED');
      // Cancelled on the server, not only abandoned by the client: the statement is gone from pg_stat_activity.
      const running = await own.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where state = 'active' and query like $1 and pid <> pg_backend_pid()`,
        [`%${marker}%`],
      );
      expect(running.rows[0]?.n).toBe(0);
    } finally {
      await own.close();
    }
  });
});

describe('statement settings on PGlite', () => {
  it('holds for the statement only, inside and outside a transaction', async () => {
    const driver = await createPgliteDriver({ path: 'memory://' });
    try {
      const settings = [['hnsw.ef_search', '77'] as const];
      const show = `select current_setting('hnsw.ef_search', true) as v`;
      expect((await driver.query<{ v: string }>(show, [], { settings })).rows[0]?.v).toBe('77');
      expect((await driver.query<{ v: string | null }>(show)).rows[0]?.v).not.toBe('77');
      const inside = await driver.transaction(
        async (tx) => (await tx.query<{ v: string }>(show, [], { settings })).rows,
      );
      expect(inside[0]?.v).toBe('77');
    } finally {
      await driver.close();
    }
  });
});

describe.each(DATABASES)('planner statistics on %s', (name) => {
  it('are refreshed after a bulk load (no index build to do it)', async () => {
    const db = await openDatabase(name);
    const store = await openPgVectorStore({
      driver: db.driver,
      collection: uniqueCollection('an'),
      modelId: 'm',
      dimensions: 8,
      index: { type: 'none' },
    });
    try {
      const reltuples = async () =>
        (
          await db.driver.query<{ n: number }>('select reltuples::float8 as n from pg_class where oid = $1::regclass', [
            collectionTables(store.collection).chunks,
          ])
        ).rows[0]?.n;
      const chunks = (d: number) =>
        Array.from({ length: 10 }, (_, o) => ({ text: `doc ${d} chunk ${o}`, embedding: axis(8, d + o) }));
      // 100 chunks: too few to refresh; 1,200 more: a bulk load, counted exactly right after it.
      await store.replaceDocuments(Array.from({ length: 10 }, (_, d) => documentWrite(`a${d}`, chunks(d))));
      await store.replaceDocuments(Array.from({ length: 120 }, (_, d) => documentWrite(`b${d}`, chunks(d))));
      expect(await reltuples()).toBe(1_300);
    } finally {
      await store.drop();
      await db.close();
    }
  });
});
