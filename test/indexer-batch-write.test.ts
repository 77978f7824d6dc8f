/**
 * The indexer writes many documents per transaction; a document whose write fails (here a NaN in its vector, which
 * the store rejects while streaming the batch's COPY) must fail alone: the batch is retried document by document,
 * the others are written, and the bad one keeps its previous version and is reported with the store's code.
 */
import type { Embedder, StoredDocumentWrite } from '@winnow/core';
import type { PgVectorStore } from '@winnow/pgvector';
import { createIndexer } from '@winnow/pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeEmbedder, loadText, paragraphChunker, source } from '../packages/pipeline/test/fakes.js';
import { type DriverName, openStore } from './support/index-helpers.js';

/** The fake 2-d embedder, but a text containing `poison` gets a NaN in its vector. */
function poisonedEmbedder(): Embedder {
  const inner = fakeEmbedder();
  return {
    ...inner,
    async embed(texts, options) {
      const batch = await inner.embed(texts, options);
      texts.forEach((text, i) => {
        if (text.includes('poison')) batch.vectors[i] = Float32Array.from([Number.NaN, 1]);
      });
      return batch;
    },
  };
}

const stores: PgVectorStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) {
    await store.drop();
    await store.close();
  }
});

describe.each(['postgres', 'pglite'] as DriverName[])('batched writes on %s', (driver) => {
  it('a document whose write fails fails alone; the rest of its batch is written', async () => {
    const embedder = poisonedEmbedder();
    const store = await openStore(driver, embedder);
    stores.push(store);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const indexer = createIndexer({ loaders: loadText, chunker: paragraphChunker(), embedder, store });
    expect((await indexer.run(ids.map((id) => source(id, `first ${id}`)))).added).toEqual(ids);

    const calls: string[][] = [];
    const replace = store.replaceDocuments.bind(store);
    store.replaceDocuments = async (writes: readonly StoredDocumentWrite[], options) => {
      calls.push(writes.map((w) => w.document.id));
      return replace(writes, options);
    };
    const second = ids.map((id) => source(id, id === 'c' ? 'second c, poison' : `second ${id}`));
    const report = await indexer.run(second);

    // Write calls grow 1, 2, 2: the group [b, c] fails on c's vector, so b and c are retried alone.
    expect(calls).toEqual([['a'], ['b', 'c'], ['b'], ['c'], ['d', 'e']]);
    expect(report.changed).toEqual(['a', 'b', 'd', 'e']);
    expect(report.failures).toMatchObject([{ id: 'c', uri: 'file:///c', code: 'E_VECTOR_INVALID' }]);
    expect(report.failures[0]?.message).toContain('NaN');
    expect(report.chunks.written).toBe(4);
    // c keeps its previous version, text and vector; the others have their new one.
    const hashes = new Map((await store.listDocuments()).map((d) => [d.id, d.contentHash]));
    expect(Object.fromEntries(hashes)).toEqual(
      Object.fromEntries(ids.map((id) => [id, id === 'c' ? 'hash-of-first c' : `hash-of-second ${id}`])),
    );
    expect(await store.counts()).toEqual({ documents: 5, chunks: 5 });
    const c = await store.embeddingsByHash(['h-first c']);
    expect([...(c.get('h-first c') ?? [])]).toEqual(['first c'.length, 1]);
  });
});
