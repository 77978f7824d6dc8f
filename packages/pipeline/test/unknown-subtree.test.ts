/** Plan: a folder the source could not read is unknown, not gone; deleteMissing keeps what lies under it. */
import type { SourceItem } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { createIndexer } from '../src/index.js';
import { fakeEmbedder, loadText, memoryStore, paragraphChunker, source } from './fakes.js';

const tree = [
  source('top.md', 'top'),
  source('sub/a.md', 'sub a'),
  source('sub/deeper/b.md', 'sub b'),
  source('subway.md', 'not under sub'),
  source('gone.md', 'gone'),
];

function unreadable(id: string, subtree: boolean): SourceItem {
  return {
    rejected: { id, uri: `file:///${id}`, code: 'E_PERMISSION', message: `${id}: permission denied (EACCES)` },
    ...(subtree ? { subtree } : {}),
  };
}

describe('deleteMissing with an unreadable folder', () => {
  it('keeps every stored document under it, reports it, and deletes only what is really gone', async () => {
    const store = memoryStore();
    const embedder = fakeEmbedder();
    const indexer = createIndexer({ loaders: loadText, chunker: paragraphChunker(), embedder, store });
    await indexer.run(tree);
    const calls = embedder.calls.length;

    const report = await indexer.run([source('top.md', 'top'), unreadable('sub', true)], { deleteMissing: true });
    expect(report.deleted.sort()).toEqual(['gone.md', 'subway.md']);
    expect(report.unknown).toEqual({ folders: ['file:///sub'], kept: ['sub/a.md', 'sub/deeper/b.md'] });
    expect(report.failures.map((f) => f.id)).toEqual(['sub']);
    expect([...store.documents.keys()].sort()).toEqual(['sub/a.md', 'sub/deeper/b.md', 'top.md']);
    // Kept means untouched: nothing was embedded or written again.
    expect(report).toMatchObject({ added: [], changed: [], unchanged: 1 });
    expect(embedder.calls.length).toBe(calls);
  });

  it('matches by id too, so a source whose URIs moved still keeps the subtree', async () => {
    const store = memoryStore();
    const indexer = createIndexer({ loaders: loadText, chunker: paragraphChunker(), embedder: fakeEmbedder(), store });
    await indexer.run(tree);
    const moved: SourceItem = {
      rejected: { id: 'sub', uri: 'file:///elsewhere/sub', code: 'E_PERMISSION', message: 'permission denied' },
      subtree: true,
    };
    const report = await indexer.run([moved], { deleteMissing: true });
    expect(report.unknown.kept.sort()).toEqual(['sub/a.md', 'sub/deeper/b.md']);
    expect(report.deleted.sort()).toEqual(['gone.md', 'subway.md', 'top.md']);
  });

  it('treats a rejected file (no subtree) as itself only', async () => {
    const store = memoryStore();
    const indexer = createIndexer({ loaders: loadText, chunker: paragraphChunker(), embedder: fakeEmbedder(), store });
    await indexer.run(tree);
    const report = await indexer.run([unreadable('sub/a.md', false)], { deleteMissing: true });
    expect(report.unknown).toEqual({ folders: [], kept: [] });
    expect(report.deleted.sort()).toEqual(['gone.md', 'sub/deeper/b.md', 'subway.md', 'top.md']);
    expect([...store.documents.keys()]).toEqual(['sub/a.md']);
  });
});
