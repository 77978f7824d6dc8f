import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { isWinnowError } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { createPgliteDriver } from '../src/index.js';
import { OPEN_GUARD_FILE } from '../src/pglite-driver.js';

const run = promisify(execFile);
const PACKAGE = resolve(import.meta.dirname, '..');
const TSX = resolve(PACKAGE, '../../node_modules/.bin/tsx');

async function newFolder(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'winnow-lock-takeover-')), 'db');
}

/** An owner file as another host's process would leave it. */
function foreignOwner(pid: number, heartbeatAgoMs: number): string {
  const at = Date.now() - heartbeatAgoMs;
  return `${pid}\nother-host.example\n${at - 1000}\n${at}\n`;
}

describe('issue 16 case 2: deleting the lock folder does not let a second opening in', () => {
  it('refuses a second opening in the same process, and the holder puts the folder back', async () => {
    const folder = await newFolder();
    const first = await createPgliteDriver({ path: folder, lockLeaseMs: 400 });
    // maxRetries: the holder's heartbeat may be writing into the folder as it is deleted.
    await rm(`${folder}.open.lock`, { recursive: true, force: true, maxRetries: 5 });
    const error = await createPgliteDriver({ path: folder }).catch((e: unknown) => e);
    expect(isWinnowError(error, 'E_LOCKED')).toBe(true);
    expect((error as Error).message).toContain(join(folder, OPEN_GUARD_FILE));
    expect((error as Error).message).toContain(`process ${process.pid}`);
    // The heartbeat (every lease/4) recreates the deleted lock folder.
    await rm(`${folder}.open.lock`, { recursive: true, force: true, maxRetries: 5 });
    await new Promise((done) => setTimeout(done, 300));
    expect((await stat(`${folder}.open.lock`)).isDirectory()).toBe(true);
    expect((await first.query<{ one: number }>('select 1 as one')).rows[0]?.one).toBe(1);
    await first.close();
    await expect(stat(join(folder, OPEN_GUARD_FILE))).rejects.toThrow();
    const again = await createPgliteDriver({ path: folder });
    await again.close();
  }, 30_000);

  it('refuses a second opening in another process', async () => {
    const folder = await newFolder();
    const first = await createPgliteDriver({ path: folder });
    await rm(`${folder}.open.lock`, { recursive: true, force: true });
    const script = `import { createPgliteDriver } from './src/index.ts';
createPgliteDriver({ path: ${JSON.stringify(folder)} }).then(
  () => { console.log('opened'); process.exit(0); },
  (error) => { console.log(error.code); process.exit(0); },
);`;
    const { stdout } = await run(TSX, ['-e', script], { cwd: PACKAGE });
    expect(stdout.trim()).toBe('E_LOCKED');
    expect((await first.query<{ one: number }>('select 1 as one')).rows[0]?.one).toBe(1);
    await first.close();
  }, 30_000);
});

describe("issue 16 case 6: another host's lock is taken over after its lease", () => {
  it('takes over an open lock and guard whose heartbeat is older than the lease', async () => {
    const folder = await newFolder();
    const created = await createPgliteDriver({ path: folder });
    await created.close();
    const lockPath = `${folder}.open.lock`;
    await mkdir(lockPath);
    await writeFile(join(lockPath, 'owner'), foreignOwner(4242, 10 * 60_000));
    await writeFile(join(folder, OPEN_GUARD_FILE), foreignOwner(4242, 10 * 60_000));
    const driver = await createPgliteDriver({ path: folder });
    expect((await driver.query<{ one: number }>('select 1 as one')).rows[0]?.one).toBe(1);
    expect((await readFile(join(lockPath, 'owner'), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await driver.close();
  });

  it('refuses one with a fresh heartbeat, naming the file to remove, the host, the pid and the age', async () => {
    const folder = await newFolder();
    const lockPath = `${folder}.open.lock`;
    await mkdir(lockPath, { recursive: true });
    await writeFile(join(lockPath, 'owner'), foreignOwner(4242, 5_000));
    const error = await createPgliteDriver({ path: folder }).catch((e: unknown) => e);
    expect(isWinnowError(error, 'E_LOCKED')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(`remove ${lockPath}`);
    expect(message).toContain('process 4242 on other-host.example');
    expect(message).toMatch(/heartbeat [45] s ago/);
    // With a short lease the same lock is stale, and a waiting opening takes it over.
    const driver = await createPgliteDriver({ path: folder, waitForLock: true, lockLeaseMs: 1_000 });
    await driver.close();
  });

  it('takes over a named (reindex) lock of another host after the lease, while waiting', async () => {
    const folder = await newFolder();
    const driver = await createPgliteDriver({ path: folder, lockLeaseMs: 1_500 });
    const lockPath = `${folder}.reindex.lock`;
    await mkdir(lockPath);
    await writeFile(join(lockPath, 'owner'), foreignOwner(4242, 1_000));
    const refused = await driver.lock('reindex', { wait: false }).catch((e: unknown) => e);
    expect(isWinnowError(refused, 'E_LOCKED')).toBe(true);
    expect((refused as Error).message).toContain(`remove ${lockPath}`);
    const started = Date.now();
    const release = await driver.lock('reindex', { wait: true });
    expect(Date.now() - started).toBeLessThan(5_000);
    await release();
    await driver.close();
  });
});
