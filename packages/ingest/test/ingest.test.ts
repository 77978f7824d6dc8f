import {
  assembleDocument,
  contentHash,
  type Loader,
  type ParsedDocument,
  type SourceDocument,
  WinnowError,
} from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { collectAll, defaultLoaders, LoaderRegistry, loadAll, passwordFor, type SourceItem } from '../src/index.js';

function record(id: string, mediaType: string, text: string): SourceDocument {
  return { id, uri: `memory:${id}`, mediaType, text, metadata: {}, contentHash: contentHash(text) };
}

/** A user loader for a format winnow does not know: one paragraph per `;`-separated field. */
class SemicolonLoader implements Loader {
  readonly name = 'semicolon';
  readonly mediaTypes = ['text/x-semicolon'];
  async load(source: SourceDocument): Promise<ParsedDocument> {
    const fields = (source.text ?? '').split(';').map((f) => ({ kind: 'paragraph' as const, text: f.trim() }));
    return assembleDocument({ ...source, metadata: source.metadata }, fields);
  }
}

describe('loadAll', () => {
  it('uses a user loader registered next to the defaults', async () => {
    const loaders = defaultLoaders().register(new SemicolonLoader());
    const { documents } = await collectAll([record('a', 'text/x-semicolon', 'one; two;three')], { loaders });
    expect(documents[0]?.blocks.map((b) => b.text)).toEqual(['one', 'two', 'three']);
    expect(loaders.get('TEXT/X-SEMICOLON; charset=utf-8')?.name).toBe('semicolon');
    expect(loaders.mediaTypes).toEqual(
      expect.arrayContaining(['application/pdf', 'text/html', 'text/markdown', 'text/plain', 'text/x-passage']),
    );
  });

  it('turns every failure into a result naming the document, and goes on', async () => {
    const throwing: Loader = {
      name: 'throws',
      mediaTypes: ['text/x-broken'],
      load: async () => {
        throw new TypeError('cannot read properties of undefined');
      },
    };
    const loaders = new LoaderRegistry([...[throwing], new SemicolonLoader()]);
    const items: SourceItem[] = [
      record('bad', 'text/x-broken', 'x'),
      record('unknown', 'image/png', ''),
      {
        rejected: {
          id: 'big',
          uri: 'file:///big',
          code: 'E_FILE_TOO_LARGE',
          message: 'E_FILE_TOO_LARGE: /big: too big',
        },
      },
      record('good', 'text/x-semicolon', 'fine'),
    ];
    const results = [];
    for await (const result of loadAll(items, { loaders })) results.push(result);
    expect(results.map((r) => (r.ok ? `ok:${r.document.id}` : `${r.failure.code}:${r.failure.id}`))).toEqual([
      'E_PARSE:bad',
      'E_UNSUPPORTED_TYPE:unknown',
      'E_FILE_TOO_LARGE:big',
      'ok:good',
    ]);
    const bad = results[0];
    expect(bad?.ok === false && bad.failure.message).toBe('E_PARSE: memory:bad: cannot read properties of undefined');
    const unknown = results[1];
    expect(unknown?.ok === false && unknown.failure.message).toMatch(
      /memory:unknown: no loader handles image\/png \(supported: /,
    );
  });

  it('stops with E_ABORTED when the signal fires', async () => {
    const controller = new AbortController();
    const items = [record('a', 'text/plain', 'one'), record('b', 'text/plain', 'two')];
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const result of loadAll(items, { signal: controller.signal })) {
          if (result.ok) seen.push(result.document.id);
          controller.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(seen).toEqual(['a']);
  });

  it('passes a loader abort through instead of recording it as a failure', async () => {
    const aborting: Loader = {
      name: 'aborts',
      mediaTypes: ['text/plain'],
      load: async () => {
        throw new WinnowError('E_ABORTED', 'loading was aborted');
      },
    };
    await expect(collectAll([record('a', 'text/plain', 'x')], { loaders: [aborting] })).rejects.toMatchObject({
      code: 'E_ABORTED',
    });
  });

  it('rejects a loader without media types', () => {
    expect(
      () => new LoaderRegistry([{ name: 'none', mediaTypes: [], load: async () => ({}) as ParsedDocument }]),
    ).toThrow(/E_CONFIG_INVALID.*none/);
  });
});

describe('passwordFor', () => {
  it('prefers an exact id, then the first matching glob', () => {
    const table = { 'reports/q1.pdf': 'exact', 'reports/*.pdf': 'glob', '**/*.pdf': 'any' };
    expect(passwordFor('reports/q1.pdf', table)).toBe('exact');
    expect(passwordFor('reports/q2.pdf', table)).toBe('glob');
    expect(passwordFor('other/x.pdf', table)).toBe('any');
    expect(passwordFor('x.txt', table)).toBeUndefined();
  });
});
