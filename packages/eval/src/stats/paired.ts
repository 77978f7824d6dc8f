import { WinnowError } from '@winnow/core';

/** Checks two per-query value lists pair up, and returns their differences a[i] - b[i]. */
export function pairedDifferences(a: readonly number[], b: readonly number[], minimum = 1): number[] {
  if (a.length !== b.length) {
    throw new WinnowError('E_DATASET_INVALID', `has ${b.length} values but a has ${a.length}; they must pair up`, {
      field: 'b',
    });
  }
  if (a.length < minimum) {
    throw new WinnowError('E_EMPTY_INPUT', `needs at least ${minimum} paired values, got ${a.length}`, { field: 'a' });
  }
  return a.map((value, index) => {
    const other = b[index] as number;
    if (!Number.isFinite(value) || !Number.isFinite(other)) {
      throw new WinnowError('E_DATASET_INVALID', `is not a finite number (${value} vs ${other})`, {
        field: `${Number.isFinite(value) ? 'b' : 'a'}[${index}]`,
      });
    }
    return value - other;
  });
}

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}
