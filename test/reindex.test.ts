/**
 * Incremental reindex on real data: the pnpm documentation at two commits six months apart. Indexing `old` and
 * then reindexing `new` must report exactly the changes in changes.json and leave the same chunks as a fresh index
 * of `new`; embeddings of unchanged chunks are reused, not recomputed. On the server and on PGlite.
 */
import { appendFile, copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLoaders, fileSource } from '@winnow/ingest';
import { createIndexer } from '@winnow/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chunkSnapshot,
  type DriverName,
  documentHashes,
  indexFolder,
  MARKDOWN_VERSIONS,
  type Models,
  openModels,
  openStore,
} from './support/index-helpers.js';

interface Changes {
  added: string[];
  deleted: string[];
  modified: string[];
  unchanged_count: number;
}

let models: Models;
let changes: Changes;

beforeAll(async () => {
  models = await openModels();
  changes = JSON.parse(await readFile(join(MARKDOWN_VERSIONS, 'changes.json'), 'utf8'));
});

afterAll(async () => {
  await models?.embedder.close?.();
});

describe.each(['postgres', 'pglite'] as DriverName[])('reindex old → new on %s', (driver) => {
  it('reports exactly the changes of changes.json and equals a fresh index of new', async () => {
    const store = await openStore(driver, models.embedder);
    const fresh = await openStore(driver, models.embedder);
    try {
      const first = await indexFolder(models, store, join(MARKDOWN_VERSIONS, 'old'));
      expect(first.added).toHaveLength(82);
      expect(first.failures).toEqual([]);

      const second = await indexFolder(models, store, join(MARKDOWN_VERSIONS, 'new'));
      expect(second.added.sort()).toEqual([...changes.added].sort());
      expect(second.changed.sort()).toEqual([...changes.modified].sort());
      expect(second.deleted.sort()).toEqual([...changes.deleted].sort());
      expect(second.unchanged).toBe(changes.unchanged_count);
      expect(second.failures).toEqual([]);
      // Chunks whose text did not change inside modified files keep their stored embeddings.
      expect(second.chunks.reused).toBeGreaterThan(0);
      expect(second.chunks.embedded + second.chunks.reused).toBe(second.chunks.written);

      const clean = await indexFolder(models, fresh, join(MARKDOWN_VERSIONS, 'new'));
      expect(clean.added).toHaveLength(85);
      expect(await chunkSnapshot(store)).toEqual(await chunkSnapshot(fresh));
      expect(await documentHashes(store)).toEqual(await documentHashes(fresh));

      // A third run finds nothing to do.
      const third = await indexFolder(models, store, join(MARKDOWN_VERSIONS, 'new'));
      expect(third).toMatchObject({ added: [], changed: [], deleted: [], unchanged: 85 });
      expect(third.chunks.written).toBe(0);
    } finally {
      await store.drop();
      await fresh.drop();
      await store.close();
      await fresh.close();
    }
  }, 900_000);
});

describe('a library run over part of a collection', () => {
  it('keeps the documents the source does not name: deleteMissing is opt-in', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'winnow-three-'));
    const old = join(MARKDOWN_VERSIONS, 'old');
    for (const name of ['git.md', 'uninstall.md', 'completion.md']) await copyFile(join(old, name), join(folder, name));
    const store = await openStore('pglite', models.embedder);
    try {
      expect((await indexFolder(models, store, folder)).added).toHaveLength(3);
      await appendFile(join(folder, 'git.md'), '\nOne more line.\n');
      const indexer = createIndexer({ loaders: defaultLoaders(), ...models, store });
      const report = await indexer.run(fileSource(join(folder, 'git.md'), { root: folder }));
      expect(report).toMatchObject({ changed: ['git.md'], deleted: [], failures: [] });
      expect((await store.counts()).documents).toBe(3);
      const removed = await indexer.run(fileSource(join(folder, 'git.md'), { root: folder }), { deleteMissing: true });
      expect(removed.deleted.sort()).toEqual(['completion.md', 'uninstall.md']);
    } finally {
      await store.close();
    }
  });
});
