import { describe, expect, it } from 'vitest';
import { parseFilter } from '../src/index.js';

describe('parseFilter', () => {
  it('accepts every operator and logical combination', () => {
    const filter = {
      and: [
        { field: 'metadata.lang', op: 'eq', value: 'en' },
        {
          or: [
            { field: 'page', op: 'range', gte: 2, lt: 10 },
            { field: 'metadata.tags', op: 'exists' },
          ],
        },
        { not: { field: 'documentId', op: 'in', values: ['a.md', 'b.md'] } },
      ],
    };
    expect(parseFilter(filter)).toEqual(filter);
  });

  it.each([
    [{ field: 'metadata.x', op: 'like', value: '%' }, 'filter.op', /unknown operator "like"/],
    [{ field: "metadata.x'; drop table chunks; --", op: 'eq', value: 1 }, 'filter.field', /unknown field/],
    [{ field: 'text', op: 'eq', value: 1 }, 'filter.field', /unknown field/],
    [{ field: 'metadata.x', op: 'eq', value: { $gt: 1 } }, 'filter.value', /expected a string/],
    [{ field: 'metadata.x', op: 'eq', value: Number.NaN }, 'filter.value', /NaN/],
    [{ field: 'metadata.x', op: 'in', values: [] }, 'filter.values', /array of 1/],
    [{ field: 'metadata.x', op: 'range' }, 'filter', /at least one/],
    [{ field: 'metadata.x', op: 'eq', value: 1, sql: 'x' }, 'filter', /unexpected key/],
    [{ and: [] }, 'filter.and', /non-empty/],
    [{ and: [{ field: 'metadata.x', op: 'exists' }], or: [] }, 'filter', /only key/],
    ['metadata.x = 1', 'filter', /expected a filter object/],
  ])('rejects %j at %s', (input, field, message) => {
    try {
      parseFilter(input);
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string }).code).toBe('E_FILTER_INVALID');
      expect((error as { field: string }).field).toBe(field);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('rejects absurd nesting', () => {
    let filter: unknown = { field: 'metadata.x', op: 'exists' };
    for (let i = 0; i < 40; i++) filter = { not: filter };
    expect(() => parseFilter(filter)).toThrow(/deeper than/);
  });

  it('keeps quotes inside values as plain data', () => {
    expect(parseFilter({ field: 'metadata.author', op: 'eq', value: "O'Brien; --" })).toEqual({
      field: 'metadata.author',
      op: 'eq',
      value: "O'Brien; --",
    });
  });

  // NUL and lone surrogates used to reach the database and come back as E_DB_QUERY (issue #16).
  it.each([
    ['NUL', { field: 'metadata.lang', op: 'eq', value: 'en\u0000' }, 'filter.value', /NUL/],
    ['lone high surrogate', { field: 'uri', op: 'in', values: ['ok', 'a\uD800b'] }, 'filter.values[1]', /surrogate/],
    ['lone low surrogate', { field: 'uri', op: 'ne', value: '\uDC00' }, 'filter.value', /surrogate/],
    ['range bound', { and: [{ field: 'metadata.d', op: 'range', gte: 'x\u0000' }] }, 'filter.and[0].gte', /NUL/],
  ])('rejects a %s in a string value as E_FILTER_INVALID naming its path', (_name, filter, field, message) => {
    try {
      parseFilter(filter);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'E_FILTER_INVALID', field });
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain(`field ${field}`);
    }
  });

  it('accepts valid surrogate pairs (emoji)', () => {
    expect(parseFilter({ field: 'metadata.tag', op: 'eq', value: 'ok \uD83D\uDE00' })).toMatchObject({
      value: 'ok 😀',
    });
  });
});
