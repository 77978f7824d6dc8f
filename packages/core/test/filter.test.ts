import { describe, expect, it } from 'vitest';
import { filterCost, MAX_FILTER_COST, parseFilter } from '../src/index.js';

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

describe('filter cost budget (issue #16)', () => {
  const inLeaf = (n: number, offset: number) => ({
    field: 'metadata.path',
    op: 'in',
    values: Array.from({ length: n }, (_, i) => `p/${offset}/${i}`),
  });

  it('refuses an `and` of 40,000 leaves (it would overflow 65,535 bind parameters) naming the budget', () => {
    const filter = { and: Array.from({ length: 40_000 }, (_, i) => ({ field: 'metadata.n', op: 'eq', value: i })) };
    expect(() => parseFilter(filter)).toThrow(/E_FILTER_INVALID.*MAX_FILTER_COST = 4000/);
  });

  it('refuses an `or` of 100 × in[1000] (168 s on 518 chunks) naming the budget', () => {
    const filter = { or: Array.from({ length: 100 }, (_, i) => inLeaf(1000, i)) };
    expect(() => parseFilter(filter, 'request.filter')).toThrow(
      /E_FILTER_INVALID: field request\.filter: filter costs 100404, over the budget MAX_FILTER_COST = 4000/,
    );
  });

  it('accepts filters up to the budget and counts conditions, values and range bounds', () => {
    expect(filterCost(parseFilter(inLeaf(1000, 0)))).toBe(1004);
    expect(filterCost(parseFilter({ or: [inLeaf(1000, 0), inLeaf(1000, 1), inLeaf(1000, 2)] }))).toBe(3016);
    expect(filterCost(parseFilter({ not: { field: 'page', op: 'range', gte: 1, lt: 3 } }))).toBe(10);
    expect(filterCost(parseFilter({ field: 'page', op: 'exists' }))).toBe(4);
    const atBudget = { or: Array.from({ length: 799 }, (_, i) => ({ field: 'ordinal', op: 'eq', value: i })) };
    expect(filterCost(parseFilter(atBudget))).toBe(MAX_FILTER_COST - 1);
    expect(() => parseFilter({ or: [...atBudget.or, { field: 'ordinal', op: 'eq', value: 0 }] })).toThrow(
      /MAX_FILTER_COST/,
    );
  });
});
