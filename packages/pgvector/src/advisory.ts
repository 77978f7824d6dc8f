import { sha256Hex } from '@winnow/core';

/**
 * A 64-bit advisory lock key for a name. Postgres advisory locks take a bigint; hashing the name keeps
 * distinct names (collection + purpose) apart without a registry. Returned as a decimal string for `$n::bigint`.
 */
export function advisoryKey(name: string): string {
  const high = BigInt(`0x${sha256Hex(`winnow:${name}`).slice(0, 16)}`);
  return BigInt.asIntN(64, high).toString();
}
