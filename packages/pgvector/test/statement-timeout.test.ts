import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectionTables,
  createPgDriver,
  createPgliteDriver,
  openPgVectorStore,
  type PgVectorStore,
  type SqlDriver,
} from '../src/index.js';
import { axis, caught, documentWrite, uniqueCollection } from './helpers.js';

const url = process.env.DATABASE_URL as string;

/** Statements of this test still running on the server (another connection's view). */
async function running(observer: SqlDriver, marker: string): Promise<number> {
  const { rows } = await observer.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity where state = 'active' and query like $1 and pid <> pg_backend_pid()`,
    [`%${marker}%`],
  );
  return rows[0]?.n ?? 0;
}

/** Holds an ACCESS EXCLUSIVE lock on `table` from another session until the returned function is called. */
async function blockTable(driver: SqlDriver, table: string): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const done = driver.transaction(async (tx) => {
    await tx.query(`lock table ${table} in access exclusive mode`);
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await done;
  };
}

describe('statement timeout and cancellation on postgres (issue #16)', () => {
  const collection = uniqueCollection('st');
  let observer: SqlDriver;
  let fast: SqlDriver;
  let store: PgVectorStore;
  beforeAll(async () => {
    observer = createPgDriver({ url, maxConnections: 2 });
    fast = createPgDriver({ url, maxConnections: 3, statementTimeoutMs: 300 });
    store = await openPgVectorStore({ driver: fast, collection, modelId: 'test-model', dimensions: 4 });
    await store.replaceDocuments([documentWrite('a', [{ text: 'alpha words', embedding: axis(4, 0) }])]);
  });
  afterAll(async () => {
    await store.drop();
    await fast.close();
    await observer.close();
  });

  it('ends a long statement at the configured statement_timeout with E_TIMEOUT naming the setting', async () => {
    const started = performance.now();
    const error = await caught(() => fast.query('select pg_sleep(10) /* st-timeout */'));
    expect(error).toMatchObject({ code: 'E_TIMEOUT', setting: 'store.statementTimeoutMs' });
    expect(error.message).toMatch(/ran past store\.statementTimeoutMs.*300 ms/);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('ends a search blocked on the server at the timeout, and the driver stays usable', async () => {
    const unblock = await blockTable(observer, collectionTables(collection).chunks);
    try {
      const error = await caught(() => store.search({ mode: 'lexical', k: 3, text: 'alpha' }));
      expect(error).toMatchObject({ code: 'E_TIMEOUT', setting: 'store.statementTimeoutMs' });
    } finally {
      await unblock();
    }
    expect(await store.search({ mode: 'lexical', k: 3, text: 'alpha' })).toHaveLength(1);
  });

  it('an aborted search leaves no running query on the server', async () => {
    const slow = createPgDriver({ url, maxConnections: 2, statementTimeoutMs: 60_000 });
    const slowStore = await openPgVectorStore({ driver: slow, collection });
    const unblock = await blockTable(observer, collectionTables(collection).chunks);
    const table = collectionTables(collection).chunks;
    try {
      // Dense with a filter runs in a transaction (index settings); lexical runs alone.
      for (const mode of ['lexical', 'dense'] as const) {
        const controller = new AbortController();
        const searching = caught(() =>
          slowStore.search(
            { mode, k: 3, text: 'alpha', vector: axis(4, 0), filter: { field: 'metadata.tag', op: 'exists' } },
            { signal: controller.signal },
          ),
        );
        await waitFor(async () => (await running(observer, table)) === 1);
        const started = performance.now();
        controller.abort();
        expect(await searching).toMatchObject({ code: 'E_ABORTED' });
        expect(performance.now() - started).toBeLessThan(2000);
        await waitFor(async () => (await running(observer, table)) === 0, 1000);
      }
    } finally {
      await unblock();
      await slow.close();
    }
  });

  it('cancels a statement on the server when its signal fires (statement timeout 0: off)', async () => {
    const unlimited = createPgDriver({ url, maxConnections: 2, statementTimeoutMs: 0 });
    try {
      const controller = new AbortController();
      const sleeping = caught(() =>
        unlimited.query('select pg_sleep(30) /* st-cancel */', [], { signal: controller.signal }),
      );
      await waitFor(async () => (await running(observer, 'st-cancel')) === 1);
      const started = performance.now();
      controller.abort();
      expect(await sleeping).toMatchObject({ code: 'E_ABORTED' });
      expect(performance.now() - started).toBeLessThan(2000);
      // The cancel request reaches the backend a moment after the caller is released: gone within a couple of
      // seconds, not after the 30 s the statement would take (checked at once, this raced on a loaded CI run).
      await waitFor(async () => (await running(observer, 'st-cancel')) === 0, 2000);
      // An already aborted signal never reaches the server.
      expect(await caught(() => unlimited.query('select 1', [], { signal: controller.signal }))).toMatchObject({
        code: 'E_ABORTED',
      });
    } finally {
      await unlimited.close();
    }
  });

  it('refuses a statement timeout that is not a whole number of ms', () => {
    expect(() => createPgDriver({ url, statementTimeoutMs: -1 })).toThrow(
      /E_CONFIG_INVALID.*store\.statementTimeoutMs/,
    );
  });
});

describe('PGlite (issue #16)', () => {
  it('checks the AbortSignal before a statement (a running one cannot be interrupted)', async () => {
    const driver = await createPgliteDriver({ path: 'memory://' });
    try {
      const controller = new AbortController();
      controller.abort();
      expect(await caught(() => driver.query('select 1', [], { signal: controller.signal }))).toMatchObject({
        code: 'E_ABORTED',
      });
    } finally {
      await driver.close();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
