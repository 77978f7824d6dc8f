/** The indexer's parts with fakes of the contracts: no surprise deletes, stage codes, per-document failures. */
import type { CallOptions, ParsedDocument, SourceDocument } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { createIndexer } from '../src/index.js';
import { fakeEmbedder, loadText, memoryStore, paragraphChunker, source } from './fakes.js';

const three = [source('a.md', 'alpha one\n\nalpha two'), source('b.md', 'beta'), source('c.md', 'gamma')];

describe('createIndexer', () => {
  it('keeps the other documents when run on one of them (deleteMissing is opt-in)', async () => {
    const store = memoryStore();
    const indexer = createIndexer({ loaders: loadText, chunker: paragraphChunker(), embedder: fakeEmbedder(), store });
    const first = await indexer.run(three);
    expect(first.added).toEqual(['a.md', 'b.md', 'c.md']);
    const again = await indexer.run([source('a.md', 'alpha one\n\nalpha changed')]);
    expect(again).toMatchObject({ changed: ['a.md'], deleted: [] });
    expect([...store.documents.keys()].sort()).toEqual(['a.md', 'b.md', 'c.md']);
    // Asked for, a run over the whole collection deletes what the source no longer has.
    const sync = await indexer.run([source('a.md', 'alpha one\n\nalpha changed')], { deleteMissing: true });
    expect(sync.deleted.sort()).toEqual(['b.md', 'c.md']);
    expect([...store.documents.keys()]).toEqual(['a.md']);
  });

  it('reports a chunker failure as E_CHUNK_FAILED naming the document, and indexes the rest', async () => {
    const store = memoryStore();
    const indexer = createIndexer({
      loaders: loadText,
      chunker: paragraphChunker('b.md'),
      embedder: fakeEmbedder(),
      store,
    });
    const report = await indexer.run(three);
    expect(report.added).toEqual(['a.md', 'c.md']);
    expect(report.failures).toEqual([
      { id: 'b.md', uri: 'file:///b.md', code: 'E_CHUNK_FAILED', message: expect.stringContaining('chunker bug') },
    ]);
    expect(report.failures[0]?.message).toContain('file:///b.md');
  });

  it('fails a document over maxDocumentMs with E_TIMEOUT, once, and indexes the rest', async () => {
    const store = memoryStore();
    // b.md stalls until aborted; a loader that ignored its signal would be left behind the same way.
    const loaders = (doc: SourceDocument, options?: CallOptions) =>
      doc.id === 'b.md'
        ? new Promise<ParsedDocument>((_, reject) =>
            options?.signal?.addEventListener('abort', () => reject(options.signal?.reason)),
          )
        : loadText(doc);
    const indexer = createIndexer({
      loaders,
      chunker: paragraphChunker(),
      embedder: fakeEmbedder(),
      store,
      maxDocumentMs: 100,
    });
    const report = await indexer.run(three);
    expect(report.added).toEqual(['a.md', 'c.md']);
    expect(report.failures).toEqual([
      {
        id: 'b.md',
        uri: 'file:///b.md',
        code: 'E_TIMEOUT',
        message: expect.stringMatching(/file:\/\/\/b\.md, setting ingest\.maxDocumentMs: took longer than 100 ms/),
      },
    ]);
  });

  it('fails only the documents an embedder answers with the wrong number of vectors', async () => {
    const store = memoryStore();
    const embedder = fakeEmbedder({ wrongCountFor: 'beta' });
    const indexer = createIndexer({ loaders: loadText, chunker: paragraphChunker(), embedder, store });
    const report = await indexer.run(three);
    expect(report.added).toEqual(['a.md', 'c.md']);
    expect(report.failures).toMatchObject([{ id: 'b.md', code: 'E_EMBED_FAILED' }]);
    expect(report.failures[0]?.message).toContain('returned 0 vectors for 1 texts');
    // One call for the batch, then one per document to find the culprit.
    expect(embedder.calls.map((c) => c.length)).toEqual([4, 2, 1, 1]);
    expect(store.chunks.map((c) => c.documentId).sort()).toEqual(['a.md', 'a.md', 'c.md']);
  });

  it('reports an embedder that throws as E_EMBED_FAILED for that document only', async () => {
    const store = memoryStore();
    const indexer = createIndexer({
      loaders: loadText,
      chunker: paragraphChunker(),
      embedder: fakeEmbedder({ throwFor: 'gamma' }),
      store,
    });
    const report = await indexer.run(three);
    expect(report.added).toEqual(['a.md', 'b.md']);
    expect(report.failures).toMatchObject([{ id: 'c.md', code: 'E_EMBED_FAILED' }]);
  });

  it('reuses stored embeddings by chunk hash and skips unchanged documents', async () => {
    const store = memoryStore();
    const embedder = fakeEmbedder();
    const indexer = createIndexer({ loaders: loadText, chunker: paragraphChunker(), embedder, store });
    await indexer.run(three);
    const report = await indexer.run([...three.slice(1), source('a.md', 'alpha one\n\nalpha three')]);
    expect(report).toMatchObject({ unchanged: 2, changed: ['a.md'], chunks: { embedded: 1, reused: 1, written: 2 } });
    expect(embedder.calls.at(-1)).toEqual(['alpha three']);
  });
});
