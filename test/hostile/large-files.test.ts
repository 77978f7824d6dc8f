/**
 * Issue 16 case 7: single files of 1–1.4 MB that held a reindex for minutes, read as the indexer reads them (loader,
 * then the chunker with the real MiniLM tokenizer, within `ingest.maxDocumentMs`). Each must load with the expected
 * chunks, or fail at once with E_PARSE naming the file and the limit it hit. Files are generated, not stored.
 */
import { createChunker, createTransformersTokenCounter } from '@winnow/chunk';
import { type Chunk, type SourceDocument, withinBudget } from '@winnow/core';
import { defaultLoaders } from '@winnow/ingest';
import { describe, expect, it } from 'vitest';

// Far below the 60 s default: a case that regressed to the old minutes fails here, not in CI's time limit.
const BUDGET_MS = 20_000;

const words = (bytes: number) =>
  Array.from({ length: Math.ceil(bytes / 8) }, (_, i) => `word${i % 997}`)
    .join(' ')
    .slice(0, bytes);

function source(uri: string, mediaType: string, text: string): SourceDocument {
  return { id: uri, uri, mediaType, bytes: new TextEncoder().encode(text), metadata: {}, contentHash: uri };
}

/** Load + chunk within the budget, as the indexer's prepare step does. */
async function prepare(doc: SourceDocument): Promise<Chunk[]> {
  const counter = await createTransformersTokenCounter('all-MiniLM-L6-v2');
  const chunker = createChunker({ tokenCounter: counter });
  const loader = defaultLoaders({}).get(doc.mediaType);
  if (!loader) throw new Error(`no loader for ${doc.mediaType}`);
  return withinBudget(BUDGET_MS, { file: doc.uri }, async (signal) =>
    chunker.chunk(await loader.load(doc, { signal }), { signal }),
  );
}

describe('large single files (issue 16, case 7)', () => {
  it('chunks 1.2 MB of text on one line', async () => {
    const chunks = await prepare(source('long.txt', 'text/plain', words(1_200_000)));
    expect(chunks.length).toBeGreaterThan(2000);
    expect(chunks.every((c) => c.text.length > 0)).toBe(true);
  });

  it('chunks 1.2 MB of Markdown on one line', async () => {
    const chunks = await prepare(source('long.md', 'text/markdown', words(1_200_000)));
    expect(chunks.length).toBeGreaterThan(2000);
  });

  it('fails Markdown lists nested 1,200 levels deep (~1.4 MB) at once, naming the nesting limit', async () => {
    const lines = Array.from({ length: 1200 }, (_, i) => `${' '.repeat(2 * i)}- item ${i}`);
    const text = `${lines.join('\n')}\n`;
    expect(text.length).toBeGreaterThan(1_400_000);
    await expect(prepare(source('nested.md', 'text/markdown', text))).rejects.toMatchObject({
      code: 'E_PARSE',
      file: 'nested.md',
      message: expect.stringMatching(/nested\.md: .*more than 100 levels deep, the Markdown nesting limit/),
    });
  });

  it('fails block quotes nested 1,200 deep the same way', async () => {
    await expect(prepare(source('quotes.md', 'text/markdown', `${'>'.repeat(1200)} deep\n`))).rejects.toMatchObject({
      code: 'E_PARSE',
      message: expect.stringMatching(/Markdown nesting limit/),
    });
  });

  it('still reads lists nested 50 deep', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `${' '.repeat(2 * i)}- item ${i}`);
    const chunks = await prepare(source('ok.md', 'text/markdown', lines.join('\n')));
    expect(chunks.length).toBeGreaterThan(0);
  });

  it('fails HTML 50,000 elements deep before parsing, naming the depth limit', async () => {
    const n = 50_000;
    const html = `<html><body>${'<div>'.repeat(n)}deep${'</div>'.repeat(n)}</body></html>`;
    await expect(prepare(source('deep.html', 'text/html', html))).rejects.toMatchObject({
      code: 'E_PARSE',
      file: 'deep.html',
      message: expect.stringMatching(/deep\.html: elements are nested more than 2000 deep, over the limit of 1000/),
    });
  });
});
