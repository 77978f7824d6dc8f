import { isAbsolute, relative, sep } from 'node:path';
import { WinnowError } from './errors.js';

/**
 * A stable document id for a file under a root folder: its path relative to the root, with `/` separators,
 * so the id is the same on every OS and every run, and moving the root elsewhere keeps the ids.
 */
export function documentIdFromPath(root: string, filePath: string): string {
  const rel = relative(root, filePath);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new WinnowError('E_FILE_NOT_FOUND', `is not inside the root folder ${root}`, { file: filePath });
  }
  return rel.split(sep).join('/');
}

/** Validates an externally supplied id (e.g. a BEIR corpus id): non-empty, no control characters. */
export function assertValidId(id: unknown, field: string): string {
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw new WinnowError('E_DATASET_INVALID', `expected a string id, got ${typeof id}`, { field });
  }
  const value = String(id);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (value.length === 0 || /[\u0000-\u001f]/.test(value)) {
    throw new WinnowError('E_DATASET_INVALID', `id ${JSON.stringify(value)} is empty or has control characters`, {
      field,
    });
  }
  return value;
}
