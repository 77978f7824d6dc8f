import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advisoryKey } from '../src/advisory.js';
import { openPgVectorStore, type PgVectorStore } from '../src/index.js';
import { caught, DATABASES, type DatabaseUnderTest, openDatabase, StoreTracker } from './helpers.js';

/** A promise with its resolve function, to hold a lock open while the test looks on. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe.each(DATABASES)('withLock on %s', (name) => {
  let db: DatabaseUnderTest;
  let store: PgVectorStore;
  const stores = new StoreTracker(() => db);
  beforeAll(async () => {
    db = await openDatabase(name);
    store = await stores.open();
  });
  afterAll(async () => {
    await stores.dropAll();
    await db.close();
  });

  it('gives exclusivity: E_LOCKED without waiting, hand-over when waiting', async () => {
    const held = gate();
    const events: string[] = [];
    const first = store.withLock(
      'reindex',
      async () => {
        events.push('first in');
        await held.promise;
        events.push('first out');
        return 1;
      },
      { wait: false },
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await caught(() => store.withLock('reindex', async () => 2, { wait: false }));
    expect(refused.code).toBe('E_LOCKED');
    expect(refused.message).toContain(`lock '${store.collection}.reindex'`);
    // Another name is independent.
    expect(await store.withLock('other', async () => 'free', { wait: false })).toBe('free');
    const second = store.withLock(
      'reindex',
      async () => {
        events.push('second in');
        return 2;
      },
      { wait: true },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events).toEqual(['first in']);
    held.open();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(events).toEqual(['first in', 'first out', 'second in']);
  });

  it('releases the lock when the work throws, and stops waiting when aborted', async () => {
    const failure = await caught(() =>
      store.withLock(
        'job',
        async () => {
          throw new Error('boom');
        },
        { wait: false },
      ),
    );
    expect(failure.message).toBe('boom');
    expect(await store.withLock('job', async () => 'again', { wait: false })).toBe('again');

    const held = gate();
    const holder = store.withLock('job', () => held.promise, { wait: false });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const controller = new AbortController();
    const waiter = caught(() => store.withLock('job', async () => 'never', { wait: true, signal: controller.signal }));
    setTimeout(() => controller.abort(), 300);
    expect((await waiter).code).toBe('E_ABORTED');
    held.open();
    await holder;
  });

  it('rejects lock names that are not plain words', async () => {
    expect((await caught(() => store.withLock('../etc', async () => 1, { wait: false }))).code).toBe(
      'E_CONFIG_INVALID',
    );
  });
  it('a crashed holder never blocks the next run', async () => {
    if (db.name === 'postgres') {
      // Another session (as another process would have) is refused while the lock is held.
      const otherDriver = await db.another();
      try {
        const other = await openPgVectorStore({ driver: otherDriver, collection: store.collection });
        const held = gate();
        const holder = store.withLock('cron', () => held.promise, { wait: false });
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect((await caught(() => other.withLock('cron', async () => 1, { wait: false }))).code).toBe('E_LOCKED');
        // The holder "dies": the server ends its session and with it the advisory lock.
        const key = BigInt.asUintN(64, BigInt(advisoryKey(`${store.collection}.cron`)));
        const { rows } = await db.driver.query<{ pid: number }>(
          `select pid from pg_locks where locktype = 'advisory' and granted
             and classid = $1::bigint::oid and objid = $2::bigint::oid and objsubid = 1`,
          [(key >> 32n).toString(), (key & 0xffffffffn).toString()],
        );
        expect(rows).toHaveLength(1);
        await db.driver.query('select pg_terminate_backend($1)', [rows[0]?.pid]);
        expect(await other.withLock('cron', async () => 'taken over', { wait: true })).toBe('taken over');
        held.open();
        await holder;
      } finally {
        await otherDriver.close();
      }
      return;
    }
    // PGlite: the lock is a directory beside the database folder with its owner's pid, host and heartbeat inside.
    const lockPath = `${db.folder}.${store.collection}.cron.lock`;
    await store.withLock(
      'cron',
      async () => {
        expect((await stat(lockPath)).isDirectory()).toBe(true);
        // pid, host, start time, heartbeat time (refreshed while held).
        const [pid, host, startedAt, heartbeatAt] = (await readFile(join(lockPath, 'owner'), 'utf8')).split('\n');
        expect([pid, host]).toEqual([String(process.pid), hostname()]);
        expect(Number(heartbeatAt)).toBeGreaterThanOrEqual(Number(startedAt));
      },
      { wait: false },
    );
    await expect(stat(lockPath)).rejects.toThrow();
    // One left by a process that died (SIGKILL, power loss) is taken over at once.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await mkdir(lockPath);
    await writeFile(join(lockPath, 'owner'), `${dead}\n${hostname()}\n`);
    expect(await store.withLock('cron', async () => 'recovered', { wait: false })).toBe('recovered');
    // One without an owner file, a minute old, was left between creating it and writing the owner.
    await mkdir(lockPath);
    const minuteAgo = new Date(Date.now() - 60_000);
    await utimes(lockPath, minuteAgo, minuteAgo);
    expect(await store.withLock('cron', async () => 'recovered', { wait: false })).toBe('recovered');
    // A live holder in another process is respected.
    await mkdir(lockPath);
    await writeFile(join(lockPath, 'owner'), `${process.ppid}\n${hostname()}\n`);
    const refused = await caught(() => store.withLock('cron', async () => 1, { wait: false }));
    expect(refused.code).toBe('E_LOCKED');
    expect(refused.message).toContain(lockPath);
    expect(refused.message).toContain(`process ${process.ppid}`);
    await rm(lockPath, { recursive: true });
  });
});
