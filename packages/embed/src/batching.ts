import { throwIfAborted, WinnowError } from '@winnow/core';

/** Rejects empty or whitespace-only inputs, naming the first one's position. */
export function assertNonEmptyTexts(texts: readonly string[], field = 'texts'): void {
  const at = texts.findIndex((text) => typeof text !== 'string' || text.trim() === '');
  if (at >= 0) {
    throw new WinnowError('E_EMPTY_INPUT', 'cannot embed an empty or whitespace-only text', {
      field: `${field}[${at}]`,
    });
  }
}

/**
 * Groups input positions into batches of similar length, longest first, so padding wastes little work.
 * Callers restore input order by position.
 */
export function lengthSortedBatches(lengths: readonly number[], batchSize: number): number[][] {
  const order = lengths.map((_, index) => index).sort((a, b) => (lengths[b] ?? 0) - (lengths[a] ?? 0) || a - b);
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) batches.push(order.slice(start, start + batchSize));
  return batches;
}

/** Runs tasks with at most `concurrency` in flight, checking the signal before each; results in task order. */
export async function runWithConcurrency<T>(
  tasks: ReadonlyArray<() => Promise<T>>,
  concurrency: number,
  signal: AbortSignal | undefined,
  what: string,
): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed) {
      const index = next;
      next += 1;
      const task = tasks[index];
      if (task === undefined) return;
      try {
        throwIfAborted(signal, what);
        results[index] = await task();
      } catch (error) {
        // Stops the other workers from starting more batches.
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, tasks.length)) }, worker));
  throwIfAborted(signal, what);
  return results;
}

export function assertPositiveInteger(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new WinnowError('E_CONFIG_INVALID', `must be a positive integer, got ${value}`, { field });
  }
}
