import { WinnowError } from './errors.js';
import { LONE_SURROGATE } from './filter.js';

/**
 * Per-document access control.
 *
 * A document carries an access list `{ tenant, groups }` (set at ingestion, stored under the document metadata key
 * `access`). A retrieval runs as a principal `{ tenant, groups }`. The rule, applied by the store (SQL on both
 * drivers, and by row-level security on a server):
 *
 *   visible ⇔ document.tenant = principal.tenant ∧ (document.groups = ∅ ∨ document.groups ∩ principal.groups ≠ ∅)
 *
 * A document without an access list is visible to no principal (fail closed). A collection with access control on
 * refuses a search without a principal (E_PRINCIPAL_REQUIRED); one without it behaves as before, and a principal
 * given to it still restricts the results by the same rule.
 */
export interface Principal {
  tenant: string;
  /** The groups the principal belongs to; a document restricted to groups needs one of them. */
  groups: readonly string[];
}

/** A document's access list. Empty `groups` means every principal of the tenant. */
export interface DocumentAccess {
  tenant: string;
  groups: string[];
}

/** The document metadata key that holds the normalised access list; the store reads it (and only it). */
export const ACCESS_METADATA_KEY = 'access';

/** Bounds that keep a principal cheap to send and compare. */
export const MAX_ACCESS_NAME_LENGTH = 200;
export const MAX_ACCESS_GROUPS = 1_000;

/** Whether a principal may see a document with this access list (`undefined`: none set, so nobody). */
export function canAccess(access: DocumentAccess | undefined, principal: Principal): boolean {
  if (access === undefined || access.tenant !== principal.tenant) return false;
  return access.groups.length === 0 || access.groups.some((group) => principal.groups.includes(group));
}

/** Validates an untrusted principal; the error names `field`. */
export function parsePrincipal(input: unknown, field = 'principal'): Principal {
  const access = parseAccessShape(input, field, 'E_PRINCIPAL_INVALID');
  return { tenant: access.tenant, groups: access.groups };
}

/**
 * Validates an access list from front matter, metadata or configuration: `{ tenant, groups? }` or a bare tenant
 * string. Bad lists are errors, never "no access list": a typo must not widen or silently drop a document's access.
 */
export function parseDocumentAccess(input: unknown, field = ACCESS_METADATA_KEY): DocumentAccess {
  return parseAccessShape(typeof input === 'string' ? { tenant: input } : input, field, 'E_ACCESS_INVALID');
}

function parseAccessShape(
  input: unknown,
  field: string,
  code: 'E_PRINCIPAL_INVALID' | 'E_ACCESS_INVALID',
): DocumentAccess {
  const fail = (message: string, at = field): never => {
    throw new WinnowError(code, message, { field: at });
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    fail(`expected { tenant, groups }, got ${describe(input)}`);
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'tenant' && key !== 'groups') fail(`unknown key ${JSON.stringify(key)}; expected tenant and groups`);
  }
  const tenant = checkName(record.tenant, `${field}.tenant`, fail);
  const rawGroups = record.groups ?? [];
  if (!Array.isArray(rawGroups)) fail(`expected a list of group names, got ${describe(rawGroups)}`, `${field}.groups`);
  const list = rawGroups as unknown[];
  if (list.length > MAX_ACCESS_GROUPS)
    fail(`at most ${MAX_ACCESS_GROUPS} groups, got ${list.length}`, `${field}.groups`);
  const groups = [...new Set(list.map((group, i) => checkName(group, `${field}.groups[${i}]`, fail)))].sort();
  return { tenant, groups };
}

function checkName(value: unknown, at: string, fail: (message: string, at: string) => never): string {
  if (typeof value !== 'string' || value.trim() === '')
    return fail(`expected a non-empty string, got ${describe(value)}`, at);
  if (value.length > MAX_ACCESS_NAME_LENGTH) return fail(`longer than ${MAX_ACCESS_NAME_LENGTH} characters`, at);
  // NUL and lone surrogates cannot be stored or bound as PostgreSQL text.
  if (value.includes('\u0000') || LONE_SURROGATE.test(value)) return fail('holds NUL or a lone surrogate', at);
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
}
