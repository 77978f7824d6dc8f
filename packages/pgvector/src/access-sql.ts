import { ACCESS_METADATA_KEY, type Principal, parsePrincipal, WinnowError } from '@winnow/core';
import type { SqlExecutor } from './driver.js';
import { type CollectionTables, quoteIdent } from './naming.js';
import type { SqlParams } from './sql-params.js';

/**
 * Per-document access control in SQL (the rule is core's `canAccess`). A document's access list lives in its
 * metadata under `access`; migration 5 derives two generated columns from it, so every writer fills them without
 * knowing about access control:
 *
 *   access_tenant  text  — the tenant, or NULL when the list is missing or malformed (then nobody sees it)
 *   access_groups  jsonb — the groups as a JSON array of strings ([] = the whole tenant)
 *
 * The store applies the same predicate on both drivers (`compileAccess`, ANDed to every search's filter, over the
 * document alias `d`). On a server the tables also carry row-level security policies with the same rule over
 * transaction-local settings (`winnow.tenant`, `winnow.groups`, set by every search with a principal): an app that
 * connects as a role that is not the tables' owner (`grantReader`) sees only the principal's rows whatever SQL it
 * runs. The settings are what the app says it is acting for: RLS keeps every statement inside one principal's
 * rows, it does not authenticate the principal.
 */

const access = `metadata -> '${ACCESS_METADATA_KEY}'`;
/** Malformed groups (not a list) void the tenant, so a typo never widens a document to the whole tenant. */
const TENANT_SQL = `case when jsonb_typeof(${access} -> 'tenant') = 'string'
  and coalesce(jsonb_typeof(${access} -> 'groups'), 'array') = 'array' then nullif(${access} ->> 'tenant', '') end`;
const GROUPS_SQL = `case when jsonb_typeof(${access} -> 'groups') = 'array' then ${access} -> 'groups' else '[]'::jsonb end`;

/** Transaction-local settings read by the row-level security policies. */
export const TENANT_SETTING = 'winnow.tenant';
export const GROUPS_SETTING = 'winnow.groups';

const POLICY = 'winnow_access';

/** Migration 5's statements (idempotent): access columns, the collection's switch, and the policies (not yet enabled). */
export async function migrateAccessControl(tx: SqlExecutor, t: CollectionTables): Promise<void> {
  await tx.query(`alter table ${t.info} add column if not exists access_control boolean not null default false`);
  await tx.query(
    `alter table ${t.documents} add column if not exists access_tenant text generated always as (${TENANT_SQL}) stored`,
  );
  await tx.query(
    `alter table ${t.documents} add column if not exists access_groups jsonb generated always as (${GROUPS_SQL}) stored`,
  );
  await tx.query(
    `create index if not exists ${quoteIdent(`${t.collection}_documents_access_idx`)} on ${t.documents} (access_tenant)`,
  );
  const groups = `coalesce(array(select jsonb_array_elements_text(nullif(current_setting('${GROUPS_SETTING}', true), '')::jsonb)), '{}')`;
  await tx.query(`drop policy if exists ${POLICY} on ${t.documents}`);
  await tx.query(`create policy ${POLICY} on ${t.documents} for select using (
    access_tenant = current_setting('${TENANT_SETTING}', true)
    and (jsonb_array_length(access_groups) = 0 or access_groups ?| ${groups}))`);
  // A chunk is visible when its document is: the subquery is itself subject to the documents policy.
  await tx.query(`drop policy if exists ${POLICY} on ${t.chunks}`);
  await tx.query(`create policy ${POLICY} on ${t.chunks} for select using (
    exists (select 1 from ${t.documents} d where d.id = document_id))`);
}

/** Whether the collection has access control on (a collection switched on stays on). */
export async function readAccessControl(db: SqlExecutor, t: CollectionTables): Promise<boolean> {
  const { rows } = await db.query<{ access_control: boolean }>(`select access_control from ${t.info} where id = 1`);
  return rows[0]?.access_control === true;
}

/**
 * Switches access control on: recorded in the collection, and row-level security enabled on documents and chunks
 * (the owner, which writes, is exempt; other roles see only what the policies allow). Idempotent; owner only.
 */
export async function enableAccessControl(db: SqlExecutor, t: CollectionTables): Promise<void> {
  await db.query(`update ${t.info} set access_control = true where id = 1 and not access_control`);
  await db.query(`alter table ${t.documents} enable row level security`);
  await db.query(`alter table ${t.chunks} enable row level security`);
}

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Lets `role` search the collection (SELECT on its tables) under row-level security: a role that connects with it
 * sees only the rows of the principal its transaction names. The role must not own the tables, be a superuser or
 * have BYPASSRLS. Run by the owner.
 */
export async function grantReader(db: SqlExecutor, t: CollectionTables, role: string): Promise<void> {
  if (!ROLE_NAME.test(role)) {
    throw new WinnowError('E_CONFIG_INVALID', `role ${JSON.stringify(role)} must be lower-case letters, digits and _`, {
      field: 'role',
    });
  }
  // Every table of the collection (tables are the quoted names in CollectionTables; indexes and functions are
  // skipped by their kind), so tables added by later migrations are covered without a list to keep in step.
  const { rows } = await db.query<{ name: string }>(
    `select name from unnest($1::text[]) as name
     where (select relkind from pg_class where oid = to_regclass(name)) in ('r', 'p')`,
    [quotedNames(t)],
  );
  await db.query(`grant select on ${rows.map((row) => row.name).join(', ')} to ${quoteIdent(role)}`);
}

function quotedNames(value: unknown): string[] {
  if (typeof value === 'string') return value.startsWith('"') ? [value] : [];
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(quotedNames);
  return [];
}

/** What a search adds for its principal: a predicate over `d` and the settings the RLS policies read. */
export interface AccessScope {
  predicate: string;
  settings: Array<[string, string]>;
}

/**
 * The access scope of a search: none for a collection without access control and no principal; E_PRINCIPAL_REQUIRED
 * for a collection with it and no principal; otherwise the principal's predicate (bound parameters only).
 */
export function accessScope(
  collection: string,
  accessControl: boolean,
  principal: Principal | undefined,
  params: SqlParams,
): AccessScope | undefined {
  if (principal === undefined) {
    if (!accessControl) return undefined;
    throw new WinnowError(
      'E_PRINCIPAL_REQUIRED',
      `collection '${collection}' has access control on; a search must name a principal (tenant and groups)`,
      { field: 'principal', hint: 'pass principal: { tenant, groups } (CLI: --tenant and --groups)' },
    );
  }
  const { tenant, groups } = parsePrincipal(principal);
  const predicate = `(d.access_tenant = ${params.add(tenant)}
    and (jsonb_array_length(d.access_groups) = 0 or d.access_groups ?| ${params.add(groups)}::text[]))`;
  return {
    predicate,
    settings: [
      [TENANT_SETTING, tenant],
      [GROUPS_SETTING, JSON.stringify(groups)],
    ],
  };
}
