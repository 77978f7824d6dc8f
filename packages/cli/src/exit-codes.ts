import type { ErrorCode } from '@winnow/core';

/**
 * Exit codes of the `winnow` command, stable for cron jobs and CI:
 * 0 success · 1 unexpected failure · 2 bad usage or configuration · 3 finished, but some files failed ·
 * 4 another run holds the lock · 5 database unreachable, pgvector missing or the lock's session lost · 6 model not found or not loadable ·
 * 7 an eval gate (--fail-below, --against) failed · 8 a remote endpoint failed (auth, HTTP, timeout).
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  partial: 3,
  locked: 4,
  database: 5,
  model: 6,
  gate: 7,
  remote: 8,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'E_CONFIG_INVALID':
    case 'E_CONFIG_NOT_FOUND':
    case 'E_FILTER_INVALID':
    case 'E_PRINCIPAL_INVALID':
    case 'E_PRINCIPAL_REQUIRED':
    case 'E_EMPTY_QUERY':
    case 'E_FILE_NOT_FOUND':
    case 'E_PERMISSION':
    case 'E_FILE_NAME':
    case 'E_DATASET_INVALID':
      return EXIT.usage;
    case 'E_LOCKED':
      return EXIT.locked;
    case 'E_DB_CONNECT':
    case 'E_DB_EXTENSION':
    case 'E_DB_QUERY':
    case 'E_DIMENSION_MISMATCH':
    // The server ended the lock's session mid-run: a database fault, not a run deferring to another (4).
    case 'E_LOCK_LOST':
      return EXIT.database;
    case 'E_MODEL_NOT_FOUND':
    case 'E_MODEL_LOAD':
    case 'E_DEVICE_UNAVAILABLE':
      return EXIT.model;
    case 'E_HTTP':
    case 'E_AUTH':
    case 'E_RATE_LIMITED':
    case 'E_TIMEOUT':
      return EXIT.remote;
    default:
      return EXIT.failure;
  }
}
