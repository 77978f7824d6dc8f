import { type Filter, type FilterScalar, parseFilter, type RangeBound, WinnowError } from '@winnow/core';
import type { SqlParams } from './sql-params.js';

/**
 * Compiles a metadata filter to a SQL boolean expression over the chunk alias `c` and document alias `d`.
 * The filter is validated with core's `parseFilter` first; field names map to fixed column expressions or
 * become a bound text[] path, and every value is a bound parameter, so no part of a filter is SQL text.
 * Every compiled expression is strictly true or false (never NULL), so `not` is an exact complement.
 *
 * Semantics: `metadata.<path>` reads the chunk's metadata, falling back to its document's metadata when the
 * chunk lacks the key. Comparisons are type-correct (1 ≠ "1"). Where the stored value is an array, eq/in and
 * range match when any element does (tags, a chunk's pages). `eq null` matches JSON null and absent keys;
 * `exists` is true when the key is present (even if null). `page` is any page a chunk touches.
 */
export function compileFilter(input: unknown, params: SqlParams, where = 'filter'): string {
  return compile(parseFilter(input, where), params, where);
}

type ColumnKind = 'text' | 'integer';
const COLUMNS: Record<string, { sql: string; kind: ColumnKind }> = {
  documentId: { sql: 'c.document_id', kind: 'text' },
  uri: { sql: 'd.uri', kind: 'text' },
  ordinal: { sql: 'c.ordinal', kind: 'integer' },
  tokenCount: { sql: 'c.token_count', kind: 'integer' },
};
/** A chunk's pages as jsonb: the `pages` array when present, else the single start `page`. */
const PAGE_JSON = `coalesce(c.provenance -> 'pages', c.provenance -> 'page')`;

function compile(filter: Filter, params: SqlParams, path: string): string {
  if ('and' in filter)
    return `(${filter.and.map((part, i) => compile(part, params, `${path}.and[${i}]`)).join(' and ')})`;
  if ('or' in filter) return `(${filter.or.map((part, i) => compile(part, params, `${path}.or[${i}]`)).join(' or ')})`;
  if ('not' in filter) return `(not ${compile(filter.not, params, `${path}.not`)})`;
  const column = COLUMNS[filter.field];
  if (column !== undefined) return compileColumn(filter, column.sql, column.kind, params, path);
  if (filter.field === 'page') {
    return compileJson(filter, PAGE_JSON, params, path, 'number');
  }
  const keys = filter.field.split('.').slice(1);
  const keyPath = params.add(keys);
  const json = `coalesce(c.metadata #> ${keyPath}::text[], d.metadata #> ${keyPath}::text[])`;
  return compileJson(filter, json, params, path, undefined);
}

type Leaf = Exclude<Filter, { and: Filter[] } | { or: Filter[] } | { not: Filter }>;

function invalid(path: string, message: string): never {
  throw new WinnowError('E_FILTER_INVALID', message, { field: path });
}

function checkColumnValue(value: FilterScalar | RangeBound, kind: ColumnKind, field: string, path: string): void {
  const expected = kind === 'text' ? 'string' : 'number';
  if (typeof value !== expected) {
    invalid(
      path,
      `${field} is a ${kind === 'text' ? 'string' : 'number'} field; ${JSON.stringify(value)} is not a ${expected}`,
    );
  }
}

/** Built-in fields are plain non-null columns: values must have the column's type. */
function compileColumn(filter: Leaf, sql: string, kind: ColumnKind, params: SqlParams, path: string): string {
  const cast = kind === 'text' ? 'text' : 'numeric';
  const order = kind === 'text' ? ' collate "C"' : '';
  switch (filter.op) {
    case 'eq':
    case 'ne': {
      checkColumnValue(filter.value, kind, filter.field, `${path}.value`);
      return `(${sql} ${filter.op === 'eq' ? '=' : '<>'} ${params.add(filter.value)}::${cast})`;
    }
    case 'in':
    case 'nin': {
      for (const [i, value] of filter.values.entries())
        checkColumnValue(value, kind, filter.field, `${path}.values[${i}]`);
      const test = `${sql} = any(${params.add(filter.values)}::${cast}[])`;
      return filter.op === 'in' ? `(${test})` : `(not ${test})`;
    }
    case 'range': {
      const bounds = rangeBounds(filter, path);
      for (const [, value, key] of bounds) checkColumnValue(value, kind, filter.field, `${path}.${key}`);
      return `(${bounds.map(([op, value]) => `${sql}${order} ${op} ${params.add(value)}::${cast}${order}`).join(' and ')})`;
    }
    case 'exists':
      return 'true';
    case 'notExists':
      return 'false';
  }
}

type RangeKey = 'gt' | 'gte' | 'lt' | 'lte';
const RANGE_OPERATORS: Record<RangeKey, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

function rangeBounds(filter: Leaf & { op: 'range' }, path: string): Array<[string, RangeBound, RangeKey]> {
  const bounds: Array<[string, RangeBound, RangeKey]> = [];
  for (const key of ['gt', 'gte', 'lt', 'lte'] as const) {
    const value = filter[key];
    if (value !== undefined) bounds.push([RANGE_OPERATORS[key], value, key]);
  }
  const types = new Set(bounds.map(([, value]) => typeof value));
  if (types.size > 1) invalid(path, 'range bounds must all be numbers or all be strings');
  return bounds;
}

/**
 * A jsonb value `json` (SQL NULL when absent). `x @> v` is jsonb containment: for a scalar x it is equality,
 * for an array x it is membership, and it never matches across types.
 */
function compileJson(filter: Leaf, json: string, params: SqlParams, path: string, only: 'number' | undefined): string {
  const check = (value: FilterScalar | RangeBound, at: string): void => {
    if (only !== undefined && value !== null && typeof value !== only) {
      invalid(at, `${filter.field} holds ${only}s; ${JSON.stringify(value)} is not a ${only}`);
    }
  };
  const equals = (value: FilterScalar): string =>
    value === null
      ? `coalesce(${json} @> 'null'::jsonb, true)`
      : `coalesce(${json} @> ${params.add(JSON.stringify(value))}::jsonb, false)`;
  switch (filter.op) {
    case 'eq':
    case 'ne':
      check(filter.value, `${path}.value`);
      return filter.op === 'eq' ? `(${equals(filter.value)})` : `(not ${equals(filter.value)})`;
    case 'in':
    case 'nin': {
      for (const [i, value] of filter.values.entries()) check(value, `${path}.values[${i}]`);
      const nullTest = filter.values.includes(null) ? `${json} is null or ` : '';
      const list = params.add(JSON.stringify(filter.values));
      const test = `(${nullTest}exists (select 1 from jsonb_array_elements(${list}::jsonb) as v(value) where ${json} @> v.value))`;
      return filter.op === 'in' ? test : `(not ${test})`;
    }
    case 'range': {
      const bounds = rangeBounds(filter, path);
      for (const [, value, key] of bounds) check(value, `${path}.${key}`);
      const numeric = typeof bounds[0]?.[1] === 'number';
      const element = numeric ? 'e.value::numeric' : `(e.value #>> '{}') collate "C"`;
      const cast = numeric ? 'numeric' : 'text';
      const tests = bounds.map(([op, value]) => `${element} ${op} ${params.add(value)}::${cast}`).join(' and ');
      // CASE keeps the cast away from values of the other type; arrays match when any element does.
      return `(exists (select 1 from jsonb_array_elements(case jsonb_typeof(${json}) when 'array' then ${json} else jsonb_build_array(${json}) end) as e(value) where case when jsonb_typeof(e.value) = '${numeric ? 'number' : 'string'}' then ${tests} else false end))`;
    }
    case 'exists':
      return `(${json} is not null)`;
    case 'notExists':
      return `(${json} is null)`;
  }
}
