/** Nearest-rank percentile of a sample (p in [0, 100]); NaN for an empty sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

export interface LatencySummary {
  p50: number;
  p95: number;
  mean: number;
}

export function summarise(values: readonly number[]): LatencySummary {
  const mean = values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
  return { p50: round(percentile(values, 50)), p95: round(percentile(values, 95)), mean: round(mean) };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
