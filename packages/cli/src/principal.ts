import { type Principal, parsePrincipal, WinnowError } from '@winnow/core';

/** The `--tenant` and `--groups` options of `query` and `ask`. */
export interface PrincipalOptions {
  tenant?: string;
  /** Comma-separated group names. */
  groups?: string;
}

/**
 * The principal a command retrieves as: none without `--tenant` (a collection with access control on then refuses
 * the query with E_PRINCIPAL_REQUIRED), else `--tenant` with the `--groups` list.
 */
export function principalFrom(options: PrincipalOptions): Principal | undefined {
  if (options.tenant === undefined) {
    if (options.groups !== undefined) {
      throw new WinnowError('E_PRINCIPAL_INVALID', '--groups needs --tenant', { field: '--groups' });
    }
    return undefined;
  }
  const groups = (options.groups ?? '')
    .split(',')
    .map((group) => group.trim())
    .filter((group) => group !== '');
  return parsePrincipal({ tenant: options.tenant, groups }, '--tenant/--groups');
}
