/** The indexer's run options for distributed indexing (#17): plan only, a lock held elsewhere, given stored versions. */
import type { SourceDocument } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { createIndexer } from '../src/index.js';
import { fakeEmbedder, loadText, memoryStore, paragraphChunker, source } from './fakes.js';

function setup() {
  const store = memoryStore();
  const embedder = fakeEmbedder();
  let loads = 0;
  const indexer = createIndexer({
    loaders: async (document: SourceDocument) => {
      loads++;
      return loadText(document);
    },
    chunker: paragraphChunker(),
    embedder,
    store,
  });
  return { store, indexer, loads: () => loads };
}

describe('indexer run options for distributed indexing', () => {
  it('planOnly hands over added and changed documents, lists deletions, and loads or writes nothing', async () => {
    const { store, indexer, loads } = setup();
    await indexer.run([source('a.md', 'alpha'), source('b.md', 'beta'), source('gone.md', 'old')]);
    const written = store.chunks.length;
    const before = loads();
    const handed: [string, string][] = [];
    const report = await indexer.run([source('a.md', 'alpha'), source('b.md', 'beta two'), source('c.md', 'gamma')], {
      deleteMissing: true,
      planOnly: (document, kind) => {
        handed.push([document.id, kind]);
      },
    });
    expect(handed).toEqual([
      ['b.md', 'changed'],
      ['c.md', 'added'],
    ]);
    expect(report).toMatchObject({ added: ['c.md'], changed: ['b.md'], deleted: ['gone.md'], unchanged: 1 });
    expect(report.chunks.written).toBe(0);
    expect(loads()).toBe(before);
    // Nothing deleted, nothing rewritten: the plan only lists.
    expect([...store.documents.keys()].sort()).toEqual(['a.md', 'b.md', 'gone.md']);
    expect(store.chunks.length).toBe(written);
  });

  it('takeLock: false runs without taking the store lock; stored replaces listing the collection', async () => {
    const { store, indexer } = setup();
    await indexer.run([source('a.md', 'alpha')]);
    let locks = 0;
    let listings = 0;
    const withLock = store.withLock?.bind(store);
    store.withLock = async (name, fn, options) => {
      locks++;
      return withLock ? withLock(name, fn, options) : fn();
    };
    const listDocuments = store.listDocuments.bind(store);
    store.listDocuments = async (options) => {
      listings++;
      return listDocuments(options);
    };
    const stored = await listDocuments();
    const report = await indexer.run([source('a.md', 'alpha'), source('b.md', 'beta')], { takeLock: false, stored });
    expect(report).toMatchObject({ added: ['b.md'], unchanged: 1 });
    expect({ locks, listings }).toEqual({ locks: 0, listings: 0 });
    await indexer.run([source('c.md', 'gamma')]);
    expect({ locks, listings }).toEqual({ locks: 1, listings: 1 });
  });
});
