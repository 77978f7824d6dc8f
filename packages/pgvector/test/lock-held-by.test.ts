/**
 * Writes under a lock another session holds (a distributed worker under its planner, #17): `lockHolder` names the
 * backend that holds a collection lock; `withLockHeldBy` lets writes through while that backend holds it and stops
 * them with E_LOCK_LOST (nothing of the write committed) once it does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgVectorStore, type PgVectorStore, type SqlDriver } from '../src/index.js';
import { axis, caught, type DatabaseUnderTest, documentWrite, openDatabase, StoreTracker } from './helpers.js';

describe('withLockHeldBy on postgres', () => {
  let db: DatabaseUnderTest;
  let planner: PgVectorStore;
  let worker: PgVectorStore;
  let workerDriver: SqlDriver;
  const stores = new StoreTracker(() => db);
  beforeAll(async () => {
    db = await openDatabase('postgres');
    planner = await stores.open();
    // The worker: another connection pool on the same collection, as another process would have.
    workerDriver = await db.another();
    worker = await openPgVectorStore({
      driver: workerDriver,
      collection: planner.collection,
      modelId: 'test-model',
      dimensions: 8,
    });
  });
  afterAll(async () => {
    await stores.dropAll();
    await workerDriver.close();
    await db.close();
  });

  const write = (id: string) => worker.replaceDocuments([documentWrite(id, [{ text: id, embedding: axis(8, 1) }])]);

  it('lets writes through while the named backend holds the lock, and stops them once it does not', async () => {
    expect(await planner.lockHolder('reindex')).toBeUndefined();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holder: Awaited<ReturnType<PgVectorStore['lockHolder']>>;
    const held = planner.withLock(
      'reindex',
      async () => {
        holder = await planner.lockHolder('reindex');
        await released;
      },
      { wait: false },
    );
    while (holder === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(holder).toMatchObject({ pid: expect.any(Number), started: expect.any(String) });
    const named = async () => holder;

    await worker.withLockHeldBy('reindex', named, () => write('under-planner.md'));
    expect((await worker.listDocuments({ ids: ['under-planner.md', 'other.md'] })).map((d) => d.id)).toEqual([
      'under-planner.md',
    ]);
    // Nobody named: no write.
    const unnamed = await caught(() =>
      worker.withLockHeldBy(
        'reindex',
        async () => undefined,
        () => write('x.md'),
      ),
    );
    expect(unnamed.code).toBe('E_LOCK_LOST');

    release();
    await held;
    const lost = await caught(() => worker.withLockHeldBy('reindex', named, () => write('after-planner.md')));
    expect(lost.code).toBe('E_LOCK_LOST');
    expect(lost.message).toContain(`backend ${holder?.pid} no longer holds it`);
    expect((await worker.listDocuments()).map((d) => d.id)).toEqual(['under-planner.md']);
  });
});
