import { WinnowError } from './errors.js';

/**
 * The metadata filter language. Fields are built-in chunk/document fields or `metadata.<key>` (nested keys
 * joined by dots). Values are JSON scalars. Stores compile only *validated* filters to SQL: field names must
 * match this grammar and values are only ever bound as parameters, so a hostile filter never reaches SQL as text.
 */
export const FILTER_BUILTIN_FIELDS = ['documentId', 'uri', 'ordinal', 'tokenCount', 'page'] as const;
export type FilterBuiltinField = (typeof FILTER_BUILTIN_FIELDS)[number];

const METADATA_FIELD = /^metadata(\.[A-Za-z0-9_-]{1,64}){1,8}$/;
const MAX_DEPTH = 16;
const MAX_VALUES = 1000;

/**
 * A filter's cost: FILTER_NODE_COST per condition or and/or/not, plus 1 per value (in/nin values, eq/ne value,
 * range bound). Measured on PostgreSQL 16 over 518 chunks: ~0.1 s per 1,000 cost units (1 × in[1000]: 0.12 s,
 * 4 × in[1000]: 0.46 s, 1,000 one-value conditions: 0.4 s, 10 × in[1000]: 1.2 s, 5,000 conditions: 6.4 s;
 * issue #16's 100 × in[1000] took 168 s). The budget keeps a filter well under a second on such a collection
 * and far under PostgreSQL's 65,535 bind parameters: at most 5 per condition, so at most 5,000 in all.
 */
export const MAX_FILTER_COST = 4000;
export const FILTER_NODE_COST = 4;

export type FilterScalar = string | number | boolean | null;
export type RangeBound = number | string;
export type Filter =
  | { field: string; op: 'eq' | 'ne'; value: FilterScalar }
  | { field: string; op: 'in' | 'nin'; values: FilterScalar[] }
  | { field: string; op: 'range'; gt?: RangeBound; gte?: RangeBound; lt?: RangeBound; lte?: RangeBound }
  | { field: string; op: 'exists' | 'notExists' }
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter };

const OPERATORS = ['eq', 'ne', 'in', 'nin', 'range', 'exists', 'notExists'] as const;
const ALLOWED_KEYS: Record<(typeof OPERATORS)[number], readonly string[]> = {
  eq: ['field', 'op', 'value'],
  ne: ['field', 'op', 'value'],
  in: ['field', 'op', 'values'],
  nin: ['field', 'op', 'values'],
  range: ['field', 'op', 'gt', 'gte', 'lt', 'lte'],
  exists: ['field', 'op'],
  notExists: ['field', 'op'],
};

function fail(path: string, message: string): never {
  throw new WinnowError('E_FILTER_INVALID', message, { field: path });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// PostgreSQL text cannot hold NUL, and a lone surrogate is not valid UTF-8: either would reach the database
// and fail there as E_DB_QUERY, so they are refused here as the caller's mistake.
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkString(value: string, path: string): string {
  if (value.includes('\0')) fail(path, 'string value contains a NUL character (U+0000)');
  if (LONE_SURROGATE.test(value)) fail(path, 'string value contains a lone UTF-16 surrogate (not valid Unicode)');
  return value;
}

function checkScalar(value: unknown, path: string): FilterScalar {
  if (typeof value === 'string') return checkString(value, path);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return fail(path, `expected a string, finite number, boolean or null, got ${describe(value)}`);
}

function checkBound(value: unknown, path: string): RangeBound {
  if (typeof value === 'string') return checkString(value, path);
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return fail(path, `expected a finite number or a string, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  return typeof value;
}

/** True when the field is allowed: a built-in field or `metadata.<key>[.<key>…]`. */
export function isFilterField(field: string): boolean {
  return (FILTER_BUILTIN_FIELDS as readonly string[]).includes(field) || METADATA_FIELD.test(field);
}

function validate(input: unknown, path: string, depth: number): Filter {
  if (depth > MAX_DEPTH) fail(path, `filter nests deeper than ${MAX_DEPTH} levels`);
  if (!isPlainObject(input)) fail(path, `expected a filter object, got ${describe(input)}`);
  const keys = Object.keys(input);
  for (const logical of ['and', 'or'] as const) {
    if (logical in input) {
      if (keys.length !== 1) fail(path, `'${logical}' must be the only key, found ${keys.join(', ')}`);
      const list = input[logical];
      if (!Array.isArray(list) || list.length === 0)
        fail(`${path}.${logical}`, 'expected a non-empty array of filters');
      const parts = list.map((item, i) => validate(item, `${path}.${logical}[${i}]`, depth + 1));
      return logical === 'and' ? { and: parts } : { or: parts };
    }
  }
  if ('not' in input) {
    if (keys.length !== 1) fail(path, `'not' must be the only key, found ${keys.join(', ')}`);
    return { not: validate(input.not, `${path}.not`, depth + 1) };
  }
  const { field, op } = input;
  if (typeof op !== 'string' || !(OPERATORS as readonly string[]).includes(op)) {
    fail(
      `${path}.op`,
      `unknown operator ${JSON.stringify(op)}; expected one of ${OPERATORS.join(', ')}, or and/or/not`,
    );
  }
  const operator = op as (typeof OPERATORS)[number];
  if (typeof field !== 'string' || !isFilterField(field)) {
    fail(
      `${path}.field`,
      `unknown field ${JSON.stringify(field)}; expected one of ${FILTER_BUILTIN_FIELDS.join(', ')} or metadata.<key> (letters, digits, _ and -)`,
    );
  }
  const extra = keys.filter((key) => !ALLOWED_KEYS[operator].includes(key));
  if (extra.length > 0) fail(path, `unexpected key(s) ${extra.join(', ')} for operator '${operator}'`);
  switch (operator) {
    case 'eq':
    case 'ne':
      if (!('value' in input)) fail(`${path}.value`, `'${operator}' needs a value`);
      return { field, op: operator, value: checkScalar(input.value, `${path}.value`) };
    case 'in':
    case 'nin': {
      const values = input.values;
      if (!Array.isArray(values) || values.length === 0 || values.length > MAX_VALUES) {
        fail(`${path}.values`, `expected an array of 1 to ${MAX_VALUES} values`);
      }
      return { field, op: operator, values: values.map((v, i) => checkScalar(v, `${path}.values[${i}]`)) };
    }
    case 'range': {
      const range: Filter = { field, op: 'range' };
      let any = false;
      for (const key of ['gt', 'gte', 'lt', 'lte'] as const) {
        if (input[key] !== undefined) {
          range[key] = checkBound(input[key], `${path}.${key}`);
          any = true;
        }
      }
      if (!any) fail(path, "'range' needs at least one of gt, gte, lt, lte");
      return range;
    }
    case 'exists':
    case 'notExists':
      return { field, op: operator };
  }
}

/** The cost of a validated filter (see MAX_FILTER_COST). */
export function filterCost(filter: Filter): number {
  if ('and' in filter) return filter.and.reduce((sum, part) => sum + filterCost(part), FILTER_NODE_COST);
  if ('or' in filter) return filter.or.reduce((sum, part) => sum + filterCost(part), FILTER_NODE_COST);
  if ('not' in filter) return FILTER_NODE_COST + filterCost(filter.not);
  if ('values' in filter) return FILTER_NODE_COST + filter.values.length;
  if ('value' in filter) return FILTER_NODE_COST + 1;
  if (filter.op !== 'range') return FILTER_NODE_COST;
  const bounds = [filter.gt, filter.gte, filter.lt, filter.lte].filter((bound) => bound !== undefined).length;
  return FILTER_NODE_COST + bounds;
}

/** Validates an untrusted filter; throws E_FILTER_INVALID naming the offending path. */
export function parseFilter(input: unknown, where = 'filter'): Filter {
  const filter = validate(input, where, 0);
  const cost = filterCost(filter);
  if (cost > MAX_FILTER_COST) {
    fail(
      where,
      `filter costs ${cost}, over the budget MAX_FILTER_COST = ${MAX_FILTER_COST} (${FILTER_NODE_COST} per condition or and/or/not, plus 1 per value)`,
    );
  }
  return filter;
}
