import { WinnowError } from './errors.js';

export interface BudgetOptions {
  /** The document the work is for (named in the error). */
  file: string;
  /** The run's own signal: when it fires, the work is aborted as before (E_ABORTED), not timed out. */
  signal?: AbortSignal | undefined;
  /** The setting that set the budget, for the message. Default `ingest.maxDocumentMs`. */
  setting?: string;
}

/**
 * Runs one document's work (load, chunk) within a time budget, so no single file can stall a run. The work gets
 * a signal that fires at the budget (or with the run's signal); it stops at its next check, and the caller stops
 * waiting for it at once either way. Running out is `E_TIMEOUT` naming the file and the setting: a failure of that
 * file, not an abort of the run.
 */
export async function withinBudget<T>(
  budgetMs: number,
  options: BudgetOptions,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const budget = new AbortController();
  const combined = options.signal ? AbortSignal.any([options.signal, budget.signal]) : budget.signal;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      budget.abort();
      reject(timeout(budgetMs, options));
    }, budgetMs);
  });
  const running = work(combined);
  // Work that outlives its budget may still fail later: nobody waits for it then, so its error is dropped here.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, expired]);
  } catch (error) {
    if (budget.signal.aborted && !options.signal?.aborted) throw timeout(budgetMs, options, error);
    throw error;
  } finally {
    clearTimeout(timer);
    // The race's loser must not surface as an unhandled rejection.
    expired.catch(() => undefined);
  }
}

function timeout(budgetMs: number, options: BudgetOptions, cause?: unknown): WinnowError {
  return new WinnowError('E_TIMEOUT', `took longer than ${budgetMs} ms to process, so it was left out`, {
    file: options.file,
    setting: options.setting ?? 'ingest.maxDocumentMs',
    ...(cause === undefined ? {} : { cause }),
    hint: 'raise the limit if the file is meant to be this large',
  });
}
