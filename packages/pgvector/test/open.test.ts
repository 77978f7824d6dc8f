import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@winnow/core';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openPgVectorStore } from '../src/index.js';
import { axis, caught, documentWrite, uniqueCollection } from './helpers.js';

describe('openPgVectorStore drivers', () => {
  it('pglite: creates the folder, persists across close and reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'winnow-open-'));
    const path = join(dir, 'nested', 'db');
    try {
      // Core's `store` configuration section is accepted as it is.
      const { store: settings } = parseConfig({ store: { driver: 'pglite', path, collection: 'docs' } });
      const first = await openPgVectorStore({ ...settings, modelId: 'm', dimensions: 8 });
      expect(first.driver.kind).toBe('pglite');
      await first.replaceDocuments([documentWrite('kept.md', [{ text: 'persisted text', embedding: axis(8, 2) }])]);
      await first.close();
      expect((await stat(path)).isDirectory()).toBe(true);

      const reopened = await openPgVectorStore({ path, collection: 'docs' });
      expect([reopened.modelId, reopened.dimensions]).toEqual(['m', 8]);
      expect(await reopened.counts()).toEqual({ documents: 1, chunks: 1 });
      const [hit] = await reopened.search({ mode: 'lexical', k: 1, text: 'persisted' });
      expect(hit?.chunk.documentId).toBe('kept.md');
      expect((await reopened.indexStatus()).exists).toBe(true);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('postgres: owns a pool made from url, leaves an injected pool open', async () => {
    const url = process.env.DATABASE_URL as string;
    const collection = uniqueCollection();
    const owned = await openPgVectorStore({ url, collection, modelId: 'm', dimensions: 8 });
    expect(owned.driver.kind).toBe('postgres');
    expect(owned.driver.location).not.toContain(':winnow@');
    await owned.close();

    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const injected = await openPgVectorStore({ pool, collection });
      await injected.close();
      const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from "${collection}_chunks"`);
      expect(rows[0]?.n).toBe(0);
      await (await openPgVectorStore({ pool, collection })).drop();
    } finally {
      await pool.end();
    }
  });

  it('validates options before touching a database', async () => {
    const cases: Array<[Parameters<typeof openPgVectorStore>[0], string]> = [
      [{ driver: 'mysql' as 'postgres' }, 'store.driver'],
      [{ index: { type: 'hnsw', m: 1 } }, 'store.index.m'],
      [{ index: { type: 'hnsw', m: 16, efConstruction: 20 } }, 'store.index.efConstruction'],
      [{ index: { type: 'flat' as 'hnsw' } }, 'store.index.type'],
      [{ efSearch: 0 }, 'store.efSearch'],
      [{ iterativeScan: 'on' as 'off' }, 'store.iterativeScan'],
      [{ maintenanceWorkMem: "1GB'; drop" }, 'store.maintenanceWorkMem'],
      [{ insertRowsPerStatement: 10_000 }, 'store.insertRowsPerStatement'],
    ];
    for (const [options, setting] of cases) {
      const error = await caught(() => openPgVectorStore({ ...options, path: '/nonexistent/never-created' }));
      expect(error.code).toBe('E_CONFIG_INVALID');
      expect(error.message).toContain(setting);
    }
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      const missing = await caught(() => openPgVectorStore({ driver: 'postgres', modelId: 'm', dimensions: 8 }));
      expect(missing.message).toContain('DATABASE_URL');
    } finally {
      process.env.DATABASE_URL = saved;
    }
  });
});
