import { WinnowError } from '@winnow/core';
import { mean, pairedDifferences } from './paired.js';
import { seededRandom } from './random.js';

export interface BootstrapOptions {
  /** Resamples drawn. Default 1,000. */
  resamples?: number;
  /** Coverage of the interval, in (0, 1). Default 0.95. */
  confidence?: number;
  /** Seed of the random generator (32-bit). Default 0. */
  seed?: number;
}

export interface ConfidenceInterval {
  /** The sample mean (not the mean of the resamples). */
  mean: number;
  lower: number;
  upper: number;
  confidence: number;
  resamples: number;
}

/**
 * Percentile bootstrap confidence interval of the mean of per-query values: resample the queries with
 * replacement, take each resample's mean, and read the interval's ends off those means' quantiles
 * (linear interpolation between order statistics).
 */
export function bootstrapCi(values: readonly number[], options: BootstrapOptions = {}): ConfidenceInterval {
  const resamples = options.resamples ?? 1_000;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isSafeInteger(resamples) || resamples < 1) {
    throw new WinnowError('E_CONFIG_INVALID', `resamples must be a positive integer, got ${resamples}`, {
      field: 'options.resamples',
    });
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new WinnowError('E_CONFIG_INVALID', `confidence must be between 0 and 1, got ${confidence}`, {
      field: 'options.confidence',
    });
  }
  if (values.length === 0) throw new WinnowError('E_EMPTY_INPUT', 'needs at least one value', { field: 'values' });
  values.forEach((value, index) => {
    if (!Number.isFinite(value)) {
      throw new WinnowError('E_DATASET_INVALID', `is not a finite number (${value})`, { field: `values[${index}]` });
    }
  });

  const random = seededRandom(options.seed ?? 0);
  const n = values.length;
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[random.index(n)] as number;
    means[r] = sum / n;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  return {
    mean: mean(values),
    lower: quantile(means, tail),
    upper: quantile(means, 1 - tail),
    confidence,
    resamples,
  };
}

/** Bootstrap interval of the mean paired difference a[i] - b[i]. */
export function pairedBootstrapCi(
  a: readonly number[],
  b: readonly number[],
  options: BootstrapOptions = {},
): ConfidenceInterval {
  return bootstrapCi(pairedDifferences(a, b), options);
}

/** Quantile of sorted values by linear interpolation between order statistics (R's type 7). */
function quantile(sorted: Float64Array, p: number): number {
  const position = (sorted.length - 1) * p;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const low = sorted[below] as number;
  return low + (position - below) * ((sorted[above] as number) - low);
}
