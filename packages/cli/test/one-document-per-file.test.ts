/** Indexing a folder, then one of its files by its own path, leaves one document for that URI (issue 16, case 8). */
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
