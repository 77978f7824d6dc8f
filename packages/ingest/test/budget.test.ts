import {
  type CallOptions,
  contentHash,
  isWinnowError,
  type ParsedDocument,
  type SourceDocument,
  withinBudget,
} from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { collectAll, LoaderRegistry, loadDocument, TextLoader } from '../src/index.js';

function text(id: string, body: string, mediaType = 'text/plain'): SourceDocument {
  const bytes = new TextEncoder().encode(body);
  return { id, uri: `file:///fixtures/${id}`, mediaType, bytes, metadata: {}, contentHash: contentHash(bytes) };
}

/** A loader that never finishes unless aborted: what a hang in a parser looks like to the run. */
const stalling = {
  name: 'stalling',
  mediaTypes: ['text/x-stall'],
  load: (_source: SourceDocument, options: CallOptions = {}) =>
    new Promise<ParsedDocument>((_, reject) => {
      options.signal?.addEventListener('abort', () => reject(options.signal?.reason));
    }),
};

/** A loader that ignores its signal: the run must still move on. */
const deaf = { name: 'deaf', mediaTypes: ['text/x-deaf'], load: () => new Promise<ParsedDocument>(() => undefined) };

describe('the per-document budget (ingest.maxDocumentMs)', () => {
  it('fails the one file with E_TIMEOUT naming it and the setting, and loads the rest', async () => {
    const loaders = new LoaderRegistry([new TextLoader(), stalling, deaf]);
    const { documents, failures } = await collectAll(
      [
        text('a.txt', 'first'),
        text('hang.x', 'x', 'text/x-stall'),
        text('deaf.x', 'x', 'text/x-deaf'),
        text('b.txt', 'last'),
      ],
      { loaders, maxDocumentMs: 100 },
    );
    expect(documents.map((doc) => doc.id)).toEqual(['a.txt', 'b.txt']);
    expect(failures).toEqual([
      expect.objectContaining({
        id: 'hang.x',
        code: 'E_TIMEOUT',
        message: expect.stringMatching(/hang\.x.*setting ingest\.maxDocumentMs.*100 ms/),
      }),
      expect.objectContaining({ id: 'deaf.x', code: 'E_TIMEOUT' }),
    ]);
  });

  it('drops the error of work that fails after its budget (no unhandled rejection)', async () => {
    const late = () => new Promise<never>((_, reject) => setTimeout(() => reject(new Error('late failure')), 80));
    await expect(withinBudget(20, { file: 'slow.txt' }, late)).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    await new Promise((resolve) => setTimeout(resolve, 120));
  });

  it('leaves an abort of the run an abort', async () => {
    const controller = new AbortController();
    const running = withinBudget(10_000, { file: 'f', signal: controller.signal }, (signal) =>
      stalling.load(text('f', ''), { signal }),
    );
    controller.abort();
    const error = await running.catch((e: unknown) => e);
    expect(isWinnowError(error, 'E_TIMEOUT')).toBe(false);
  });

  it('loadDocument names the missing loader and the empty document', async () => {
    const registry = new LoaderRegistry([new TextLoader()]);
    await expect(loadDocument(text('p.png', 'x', 'image/png'), registry)).rejects.toMatchObject({
      code: 'E_UNSUPPORTED_TYPE',
    });
    await expect(loadDocument(text('e.txt', '  \n'), registry)).rejects.toMatchObject({
      code: 'E_EMPTY_INPUT',
      message: expect.stringContaining('e.txt'),
    });
  });
});
