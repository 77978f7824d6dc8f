import type { Filter } from '@winnow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFilter, type PgVectorStore, SqlParams } from '../src/index.js';
import {
  axis,
  caught,
  DATABASES,
  type DatabaseUnderTest,
  documentWrite,
  openDatabase,
  StoreTracker,
} from './helpers.js';

const HOSTILE = `O'Brien"; drop table x; -- \\' $1 /* */`;

describe('filter compilation', () => {
  it('puts only placeholders in SQL: values and metadata keys are parameters', () => {
    const params = new SqlParams();
    const sql = compileFilter(
      {
        and: [
          { field: 'metadata.author', op: 'eq', value: HOSTILE },
          { field: 'uri', op: 'in', values: [HOSTILE, 'b'] },
          { not: { field: 'metadata.a-b.c_d', op: 'range', gte: 'x', lt: HOSTILE } },
        ],
      },
      params,
    );
    expect(sql).not.toContain('Brien');
    expect(sql).not.toContain('a-b');
    expect(sql).not.toContain('drop');
    expect(params.values).toContainEqual(JSON.stringify(HOSTILE));
    expect(params.values).toContainEqual(['a-b', 'c_d']);
  });

  const rejected: Array<[string, unknown]> = [
    ['SQL in a key', { field: "metadata.x'); drop table t; --", op: 'eq', value: 1 }],
    ['a comment marker in a key', { field: 'metadata.a--b c', op: 'eq', value: 1 }],
    ['a semicolon in a key', { field: 'metadata.a;b', op: 'exists' }],
    ['a quote in a key', { field: 'metadata."a"', op: 'exists' }],
    ['an unknown field', { field: 'embedding', op: 'eq', value: 1 }],
    ['a column name', { field: 'c.text', op: 'eq', value: 'x' }],
    ['an unknown operator', { field: 'uri', op: 'like', value: '%' }],
    ['SQL as operator', { field: 'uri', op: '= 1 or 1=1 --', value: 'x' }],
    ['an object value', { field: 'metadata.a', op: 'eq', value: { $ne: 1 } }],
    ['an array value for eq', { field: 'metadata.a', op: 'eq', value: [1] }],
    ['NaN', { field: 'ordinal', op: 'eq', value: Number.NaN }],
    ['a string for a numeric field', { field: 'ordinal', op: 'eq', value: '1; drop table x' }],
    ['a number for a string field', { field: 'documentId', op: 'eq', value: 3 }],
    ['null for a built-in column', { field: 'uri', op: 'eq', value: null }],
    ['a string page', { field: 'page', op: 'in', values: [1, '2'] }],
    ['mixed range bounds', { field: 'metadata.year', op: 'range', gte: 2000, lt: '2010' }],
    ['extra keys', { field: 'uri', op: 'eq', value: 'x', sql: 'true' }],
    ['an empty or', { or: [] }],
    ['a non-object', "uri = 'x'"],
  ];
  it.each(rejected)('rejects %s with E_FILTER_INVALID', async (_, filter) => {
    const error = await caught(async () => compileFilter(filter, new SqlParams()));
    expect(error.code).toBe('E_FILTER_INVALID');
    expect(error.message).toMatch(/field filter/);
  });
});

describe.each(DATABASES)('filters on %s', (name) => {
  let db: DatabaseUnderTest;
  let store: PgVectorStore;
  const stores = new StoreTracker(() => db);
  beforeAll(async () => {
    db = await openDatabase(name);
    store = await stores.open();
    await store.replaceDocuments([
      documentWrite(
        'guide.md',
        [
          {
            text: 'install on linux',
            embedding: axis(8, 0),
            metadata: { level: 1, tags: ['linux', 'setup'], year: 2021 },
          },
          { text: 'install on mac', embedding: axis(8, 1), metadata: { level: 2, tags: ['mac'], year: '2021' } },
          { text: 'quotes', embedding: axis(8, 2), metadata: { author: HOSTILE, level: 2.0, nested: { deep: true } } },
        ],
        { metadata: { lang: 'en', author: 'Ann' } },
      ),
      documentWrite(
        'paper.pdf',
        [
          { text: 'page one', embedding: axis(8, 3), page: 1, pages: [1] },
          { text: 'pages two to four', embedding: axis(8, 4), page: 2, pages: [2, 3, 4], metadata: { lang: 'fr' } },
          { text: 'null here', embedding: axis(8, 5), page: 5, metadata: { level: null } },
        ],
        { metadata: { lang: 'de' } },
      ),
    ]);
  });
  afterAll(async () => {
    await stores.dropAll();
    await db.close();
  });

  async function matches(filter: Filter): Promise<string[]> {
    const hits = await store.search({ mode: 'dense', k: 10, vector: axis(8, 0), filter });
    return hits.map((hit) => `${hit.chunk.documentId}#${hit.chunk.ordinal}`).sort();
  }
  const all = ['guide.md#0', 'guide.md#1', 'guide.md#2', 'paper.pdf#0', 'paper.pdf#1', 'paper.pdf#2'];

  it('compares numbers and strings type-correctly', async () => {
    expect(await matches({ field: 'metadata.level', op: 'eq', value: 2 })).toEqual(['guide.md#1', 'guide.md#2']);
    expect(await matches({ field: 'metadata.level', op: 'eq', value: '2' })).toEqual([]);
    expect(await matches({ field: 'metadata.year', op: 'eq', value: 2021 })).toEqual(['guide.md#0']);
    expect(await matches({ field: 'metadata.year', op: 'eq', value: '2021' })).toEqual(['guide.md#1']);
    expect(await matches({ field: 'metadata.year', op: 'range', gte: 2000, lte: 2030 })).toEqual(['guide.md#0']);
    expect(await matches({ field: 'metadata.year', op: 'range', gte: '2000' })).toEqual(['guide.md#1']);
    expect(await matches({ field: 'metadata.level', op: 'range', gt: 1 })).toEqual(['guide.md#1', 'guide.md#2']);
    expect(await matches({ field: 'metadata.nested.deep', op: 'eq', value: true })).toEqual(['guide.md#2']);
    expect(await matches({ field: 'metadata.nested.deep', op: 'eq', value: 'true' })).toEqual([]);
  });

  it('matches array members, null, presence and negation', async () => {
    expect(await matches({ field: 'metadata.tags', op: 'eq', value: 'linux' })).toEqual(['guide.md#0']);
    expect(await matches({ field: 'metadata.tags', op: 'in', values: ['mac', 'windows'] })).toEqual(['guide.md#1']);
    expect(await matches({ field: 'metadata.level', op: 'eq', value: null })).toEqual([
      'paper.pdf#0',
      'paper.pdf#1',
      'paper.pdf#2',
    ]);
    expect(await matches({ field: 'metadata.level', op: 'exists' })).toEqual([
      'guide.md#0',
      'guide.md#1',
      'guide.md#2',
      'paper.pdf#2',
    ]);
    expect(await matches({ field: 'metadata.level', op: 'notExists' })).toEqual(['paper.pdf#0', 'paper.pdf#1']);
    expect(await matches({ field: 'metadata.level', op: 'ne', value: 2 })).toEqual([
      'guide.md#0',
      'paper.pdf#0',
      'paper.pdf#1',
      'paper.pdf#2',
    ]);
    expect(await matches({ field: 'metadata.level', op: 'nin', values: [1, null] })).toEqual([
      'guide.md#1',
      'guide.md#2',
    ]);
    expect(await matches({ not: { field: 'metadata.tags', op: 'eq', value: 'linux' } })).toEqual(
      all.filter((id) => id !== 'guide.md#0'),
    );
  });

  it('falls back from chunk metadata to document metadata', async () => {
    expect(await matches({ field: 'metadata.lang', op: 'eq', value: 'en' })).toEqual([
      'guide.md#0',
      'guide.md#1',
      'guide.md#2',
    ]);
    // The chunk's own value wins over its document's.
    expect(await matches({ field: 'metadata.lang', op: 'eq', value: 'de' })).toEqual(['paper.pdf#0', 'paper.pdf#2']);
    expect(await matches({ field: 'metadata.author', op: 'eq', value: 'Ann' })).toEqual(['guide.md#0', 'guide.md#1']);
  });

  it('maps built-in fields to columns; page is any page a chunk touches', async () => {
    expect(await matches({ field: 'documentId', op: 'eq', value: 'paper.pdf' })).toEqual([
      'paper.pdf#0',
      'paper.pdf#1',
      'paper.pdf#2',
    ]);
    expect(await matches({ field: 'uri', op: 'in', values: ['file:///guide.md'] })).toEqual([
      'guide.md#0',
      'guide.md#1',
      'guide.md#2',
    ]);
    expect(await matches({ field: 'ordinal', op: 'range', gte: 1, lt: 2 })).toEqual(['guide.md#1', 'paper.pdf#1']);
    expect(await matches({ field: 'tokenCount', op: 'eq', value: 4 })).toEqual(['paper.pdf#1']);
    expect(await matches({ field: 'documentId', op: 'range', gt: 'h' })).toEqual([
      'paper.pdf#0',
      'paper.pdf#1',
      'paper.pdf#2',
    ]);
    expect(await matches({ field: 'page', op: 'eq', value: 3 })).toEqual(['paper.pdf#1']);
    expect(await matches({ field: 'page', op: 'range', gte: 4, lte: 5 })).toEqual(['paper.pdf#1', 'paper.pdf#2']);
    expect(await matches({ field: 'page', op: 'exists' })).toEqual(['paper.pdf#0', 'paper.pdf#1', 'paper.pdf#2']);
  });

  it('combines with and/or/not', async () => {
    expect(
      await matches({
        or: [
          {
            and: [
              { field: 'documentId', op: 'eq', value: 'guide.md' },
              { field: 'metadata.level', op: 'eq', value: 1 },
            ],
          },
          { not: { field: 'page', op: 'range', lt: 5 } },
        ],
      }),
    ).toEqual(['guide.md#0', 'guide.md#1', 'guide.md#2', 'paper.pdf#2']);
  });

  it('matches hostile-looking values literally and leaves the tables alone', async () => {
    expect(await matches({ field: 'metadata.author', op: 'eq', value: HOSTILE })).toEqual(['guide.md#2']);
    expect(await matches({ field: 'documentId', op: 'eq', value: "guide.md' or '1'='1" })).toEqual([]);
    expect(
      await matches({ field: 'documentId', op: 'in', values: ["x'); drop table t; --", 'guide.md'] }),
    ).toHaveLength(3);
    for (const filter of [
      { field: "metadata.x'); drop table t; --", op: 'eq', value: 1 },
      { field: 'uri', op: 'like', value: '%' },
      { field: 'ordinal', op: 'eq', value: '0 or 1=1' },
    ]) {
      const error = await caught(() =>
        store.search({ mode: 'hybrid', k: 3, vector: axis(8, 0), text: 'install', filter: filter as Filter }),
      );
      expect(error.code).toBe('E_FILTER_INVALID');
    }
    expect(await store.counts()).toEqual({ documents: 2, chunks: 6 });
  });

  it('applies filters to lexical and hybrid search too', async () => {
    const lexical = await store.search({
      mode: 'lexical',
      k: 5,
      text: 'install',
      filter: { field: 'metadata.tags', op: 'eq', value: 'mac' },
    });
    expect(lexical.map((hit) => hit.chunk.text)).toEqual(['install on mac']);
    const hybrid = await store.search({
      mode: 'hybrid',
      k: 5,
      vector: axis(8, 0),
      text: 'install',
      filter: { field: 'documentId', op: 'eq', value: 'paper.pdf' },
    });
    expect(hybrid.every((hit) => hit.chunk.documentId === 'paper.pdf')).toBe(true);
    expect(hybrid).toHaveLength(3);
  });
});
