/**
 * Cron safety. A reindex process killed with SIGKILL at several points (between documents, mid-write, before
 * deletions) and then run again converges to exactly a clean index: no duplicate and no missing chunk. Two runs
 * never overlap: a second run without --wait exits with the lock code, with --wait it runs after the first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectionTables } from '@winnow/pgvector';
import { REINDEX_LOCK } from '@winnow/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chunkSnapshot,
  copySubset,
  type DriverName,
  documentHashes,
  indexFolder,
  MARKDOWN_VERSIONS,
  type Models,
  openModels,
  openStore,
} from './support/index-helpers.js';

const REPO = join(import.meta.dirname, '..');
const CHILD = join(REPO, 'test', 'fixtures', 'reindex-child.ts');
const TSX = join(REPO, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
// Deleted in new (npmrc.md), modified (installation.md, faq.md, production.md, cli/add.md), unchanged (cli/exec.md,
// aliases.md, git.md), and one only in new (finders.md).
const OLD_FILES = [
  'npmrc.md',
  'installation.md',
  'faq.md',
  'production.md',
  'cli/add.md',
  'cli/exec.md',
  'aliases.md',
  'git.md',
];
const NEW_FILES = [
  'installation.md',
  'faq.md',
  'production.md',
  'cli/add.md',
  'cli/exec.md',
  'aliases.md',
  'git.md',
  'finders.md',
];

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runChild(args: string[], onLine?: (line: string, child: ChildProcess) => void): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', TSX, CHILD, ...args], {
      cwd: REPO,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      const text = data.toString();
      stdout += text;
      for (const line of text.split('\n')) if (line) onLine?.(line, child);
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

let models: Models;
let oldTree: string;
let newTree: string;

beforeAll(async () => {
  models = await openModels();
  oldTree = await copySubset(join(MARKDOWN_VERSIONS, 'old'), OLD_FILES);
  newTree = await copySubset(join(MARKDOWN_VERSIONS, 'new'), NEW_FILES);
});

afterAll(async () => {
  await models?.embedder.close?.();
});

describe.each(['postgres', 'pglite'] as DriverName[])('crash safety on %s', (driver) => {
  it('converges to a clean index after SIGKILL at several points', async () => {
    const path = driver === 'pglite' ? await mkdtemp(join(tmpdir(), 'winnow-crash-')) : undefined;
    const collection = `crash_${process.pid}_${driver}`;
    const reference = await openStore(driver, models.embedder);
    let store: Awaited<ReturnType<typeof openStore>> | undefined = await openStore(
      driver,
      models.embedder,
      collection,
      path,
    );
    try {
      await indexFolder(models, reference, newTree);
      await indexFolder(models, store, oldTree);
      await store.close();
      store = undefined;
      // No --wait: a PGlite folder's open lock left by a killed process is taken over at once (its owner is dead).
      const args = [driver, collection, path ?? '-', newTree];

      // Five documents change (4 modified, 1 added) and one is deleted. Kill before any write, after two
      // writes, in the middle of a write (killed by the parent right after the write starts, most likely inside
      // its transaction), and after every write but before the deletion.
      const expectKilled = async (...kill: string[]) => {
        const result = await runChild([...args, ...kill]);
        expect(result.signal, result.stderr).toBe('SIGKILL');
      };
      await expectKilled('--kill-before-write', '0');
      await expectKilled('--kill-before-write', '2');
      let killed = false;
      const midWrite = await runChild(args, (line, child) => {
        if (!killed && line.startsWith('writing ')) {
          killed = true;
          child.kill('SIGKILL');
        }
      });
      expect(midWrite.signal, midWrite.stderr).toBe('SIGKILL');
      await expectKilled('--kill-before-delete');

      const finish = await runChild(args);
      expect(finish.code, finish.stderr).toBe(0);

      store = await openStore(driver, models.embedder, collection, path);
      const expected = await chunkSnapshot(reference);
      const actual = await chunkSnapshot(store);
      expect(actual.length).toBe(expected.length);
      expect(new Set(actual.map((c) => `${c.document_id}#${c.ordinal}`)).size).toBe(actual.length);
      expect(actual).toEqual(expected);
      expect(await documentHashes(store)).toEqual(await documentHashes(reference));
    } finally {
      await reference.drop();
      await reference.close();
      await store?.drop();
      await store?.close();
    }
  }, 900_000);
});

describe('two reindex runs on the server', () => {
  it('never overlap: without --wait the second exits with code 4; with --wait it runs after', async () => {
    const collection = `lock_${process.pid}`;
    const store = await openStore('postgres', models.embedder, collection);
    try {
      await indexFolder(models, store, oldTree);
      const args = ['postgres', collection, '-', newTree];
      let waiting: Promise<ChildResult> | undefined;
      await store.withLock(
        REINDEX_LOCK,
        async () => {
          const refused = await runChild(args);
          expect(refused.code, refused.stderr).toBe(4);
          expect(refused.stderr).toMatch(/E_LOCKED/);
          waiting = runChild([...args, '--wait']);
          // Give the waiting run time to reach the lock; it must not write while we hold it.
          await new Promise((resolve) => setTimeout(resolve, 8000));
          expect(await documentHashes(store)).toHaveProperty('npmrc.md');
        },
        { wait: false },
      );
      const waited = await (waiting as Promise<ChildResult>);
      expect(waited.code, waited.stderr).toBe(0);
      expect(await documentHashes(store)).not.toHaveProperty('npmrc.md');

      // Two runs started together: both finish (one after the other) and the store is consistent.
      const [a, b] = await Promise.all([runChild([...args, '--wait']), runChild([...args, '--wait'])]);
      expect([a.code, b.code]).toEqual([0, 0]);
      const t = collectionTables(collection);
      const { rows } = await store.driver.query<{ n: string; distinct_n: string }>(
        `select count(*) as n, count(distinct (document_id, ordinal)) as distinct_n from ${t.chunks}`,
      );
      expect(Number(rows[0]?.n)).toBe(Number(rows[0]?.distinct_n));
      expect(Object.keys(await documentHashes(store)).sort()).toEqual([...NEW_FILES].sort());
    } finally {
      await store.drop();
      await store.close();
    }
  }, 900_000);
});
