/** One stored document per file, whichever root reached it first (issue 16, case 8). */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSource, folderSource } from '@winnow/ingest';
import { createIndexer } from '@winnow/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeEmbedder, loadText, memoryStore, paragraphChunker } from '../../pipeline/test/fakes.js';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'winnow-one-doc-'));
  mkdirSync(join(root, 'docs', 'sub'), { recursive: true });
  writeFileSync(join(root, 'docs', 'a.md'), 'alpha');
  writeFileSync(join(root, 'docs', 'sub', 'b.md'), 'beta');
  symlinkSync('docs', join(root, 'docs-link'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('one document per file', () => {
  it('index docs, then docs/sub/b.md alone (as the CLI does: with the stored documents): one document', async () => {
    const store = memoryStore();
    const indexer = createIndexer({ loaders: loadText, chunker: paragraphChunker(), embedder: fakeEmbedder(), store });
    const first = await indexer.run(folderSource(join(root, 'docs')));
    expect(first.added.sort()).toEqual(['a.md', 'sub/b.md']);
    writeFileSync(join(root, 'docs', 'sub', 'b.md'), 'beta changed');
    const known = await store.listDocuments();
    const second = await indexer.run(fileSource(join(root, 'docs', 'sub', 'b.md'), { known }));
    expect(second).toMatchObject({ added: [], changed: ['sub/b.md'] });
    // Reached through a link to the folder: the same document again.
    const third = await indexer.run(fileSource(join(root, 'docs-link', 'sub', 'b.md'), { known }));
    expect(third).toMatchObject({ added: [], changed: [], unchanged: 1 });
    const documents = await store.listDocuments();
    expect(documents.map((d) => d.id).sort()).toEqual(['a.md', 'sub/b.md']);
    expect(new Set(documents.map((d) => d.uri)).size).toBe(2);
  });
});

describe('one document per file, the file indexed first', () => {
  it('docs/sub/b.md alone (id b.md), then docs (id sub/b.md): the earlier id is removed once the new one is stored', async () => {
    const store = memoryStore();
    const indexer = createIndexer({ loaders: loadText, chunker: paragraphChunker(), embedder: fakeEmbedder(), store });
    const first = await indexer.run(fileSource(join(root, 'docs', 'sub', 'b.md'), { known: [] }));
    expect(first.added).toEqual(['b.md']);
    const second = await indexer.run(folderSource(join(root, 'docs')));
    expect(second.added.sort()).toEqual(['a.md', 'sub/b.md']);
    expect(second.deleted).toEqual(['b.md']);
    const documents = await store.listDocuments();
    expect(documents.map((d) => d.id).sort()).toEqual(['a.md', 'sub/b.md']);
    // Run again: nothing left to remove.
    const third = await indexer.run(folderSource(join(root, 'docs')));
    expect(third).toMatchObject({ added: [], changed: [], deleted: [], unchanged: 2 });
  });

  it('a stored id that the folder also yields for another file is kept (it is that file now)', async () => {
    const store = memoryStore();
    const indexer = createIndexer({ loaders: loadText, chunker: paragraphChunker(), embedder: fakeEmbedder(), store });
    // docs/sub as the root: b.md is sub/b.md. Then docs as the root: a.md is docs/a.md, sub/b.md is the same file.
    mkdirSync(join(root, 'docs2', 'sub'), { recursive: true });
    writeFileSync(join(root, 'docs2', 'b.md'), 'top-level b');
    writeFileSync(join(root, 'docs2', 'sub', 'b.md'), 'nested b');
    await indexer.run(folderSource(join(root, 'docs2', 'sub')));
    const second = await indexer.run(folderSource(join(root, 'docs2')));
    // b.md now names docs2/b.md (changed: another file's text); sub/b.md is added; nothing is deleted.
    expect(second).toMatchObject({ added: ['sub/b.md'], changed: ['b.md'], deleted: [] });
    const documents = await store.listDocuments();
    expect(documents.map((d) => [d.id, d.uri.endsWith('docs2/b.md') ? 'top' : 'nested']).sort()).toEqual([
      ['b.md', 'top'],
      ['sub/b.md', 'nested'],
    ]);
  });
});
