import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWinnowError } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { createPgliteDriver } from '../src/index.js';

describe('a PGlite folder is open in one place at a time', () => {
  it('refuses a second opening with E_LOCKED naming the folder, and allows it after close', async () => {
    const folder = join(await mkdtemp(join(tmpdir(), 'winnow-open-lock-')), 'db');
    const first = await createPgliteDriver({ path: folder });
    const error = await createPgliteDriver({ path: folder }).catch((e: unknown) => e);
    expect(isWinnowError(error, 'E_LOCKED')).toBe(true);
    expect((error as Error).message).toContain(folder);
    expect((error as Error).message).toMatch(/open in another process/);
    await first.close();
    const again = await createPgliteDriver({ path: folder });
    expect((await again.query<{ one: number }>('select 1 as one')).rows[0]?.one).toBe(1);
    await again.close();
  });

  it('with waitForLock, a second opening waits until the first closes', async () => {
    const folder = join(await mkdtemp(join(tmpdir(), 'winnow-open-lock-')), 'db');
    const first = await createPgliteDriver({ path: folder });
    let opened = false;
    const second = createPgliteDriver({ path: folder, waitForLock: true }).then((driver) => {
      opened = true;
      return driver;
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(opened).toBe(false);
    await first.close();
    const driver = await second;
    expect(opened).toBe(true);
    await driver.close();
  });
});

describe('a PGlite folder whose parent does not exist yet', () => {
  it('opens (the lock and the folder are created), as a first `winnow index` does', async () => {
    const folder = join(await mkdtemp(join(tmpdir(), 'winnow-open-lock-')), '.winnow', 'db');
    const driver = await createPgliteDriver({ path: folder });
    expect((await driver.query<{ one: number }>('select 1 as one')).rows[0]?.one).toBe(1);
    await driver.close();
  });
});
