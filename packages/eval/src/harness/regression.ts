import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { WinnowError } from '@winnow/core';
import { compareEvaluations } from '../stats/compare.js';
import { type EvalResults, evaluationFromPerQuery } from './run.js';
import { safeFileName } from './write.js';

/** A saved `winnow eval` run: what results.json says, with each configuration's per-query values. */
export interface SavedRun {
  file: string;
  dataset: string;
  split: string;
  truncatedTo?: number;
  perQuery: Map<string, Record<string, Record<string, number>>>;
}

export interface RegressionOptions {
  /** The measure gated. Default 'ndcg@10'. */
  measure?: string;
  /** A drop counts only when larger than this (absolute, in the measure's units). Default 0.01. */
  margin?: number;
  /** And only when the paired randomisation test's p-value is below this. Default 0.05. */
  alpha?: number;
}

export interface RegressionCheck {
  name: string;
  measure: string;
  saved: number;
  now: number;
  /** now − saved. */
  difference: number;
  pValue: number;
  queries: number;
  regressed: boolean;
}

const FIELD = '--against';

/**
 * Reads a saved run for the regression gate: `results.json` (or the folder holding it) and the `per-query/*.json`
 * files beside it, which hold the per-query values the paired test needs. Errors name `--against`.
 */
export async function loadSavedRun(path: string): Promise<SavedRun> {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'results.json') : path;
  if (!existsSync(file)) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `no saved results at ${file}: give the results.json of a winnow eval run`,
      {
        field: FIELD,
      },
    );
  }
  let json: { dataset?: unknown; split?: unknown; truncatedTo?: unknown; configurations?: { name?: unknown }[] };
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new WinnowError('E_CONFIG_INVALID', `${file} is not JSON`, { field: FIELD, cause: error });
  }
  if (typeof json.dataset !== 'string' || typeof json.split !== 'string' || !Array.isArray(json.configurations)) {
    throw new WinnowError('E_CONFIG_INVALID', `${file} is not the results.json of a winnow eval run`, { field: FIELD });
  }
  const perQuery = new Map<string, Record<string, Record<string, number>>>();
  for (const c of json.configurations) {
    if (typeof c.name !== 'string') continue;
    const values = join(dirname(file), 'per-query', `${safeFileName(c.name)}.json`);
    if (!existsSync(values)) {
      throw new WinnowError(
        'E_CONFIG_INVALID',
        `${values} is missing: the gate needs the per-query files written beside results.json`,
        { field: FIELD },
      );
    }
    perQuery.set(c.name, JSON.parse(await readFile(values, 'utf8')));
  }
  return {
    file,
    dataset: json.dataset,
    split: json.split,
    ...(typeof json.truncatedTo === 'number' ? { truncatedTo: json.truncatedTo } : {}),
    perQuery,
  };
}

/** Refuses a saved run of another dataset, split or query cut, before anything is indexed. */
export function checkSavedRunMatches(
  saved: SavedRun,
  run: { dataset: string; split: string; maxQueries?: number },
): void {
  const differs = [
    saved.dataset !== run.dataset ? `dataset ${saved.dataset}, not ${run.dataset}` : '',
    saved.split !== run.split ? `split ${saved.split}, not ${run.split}` : '',
    saved.truncatedTo !== run.maxQueries && (saved.truncatedTo !== undefined || run.maxQueries !== undefined)
      ? `--max-queries ${saved.truncatedTo ?? 'unset'}, not ${run.maxQueries ?? 'unset'}`
      : '',
  ].filter(Boolean);
  if (differs.length > 0) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `${saved.file} scored ${differs.join('; ')}: a regression gate compares the same queries`,
      { field: FIELD },
    );
  }
}

/**
 * Each configuration of this run that the saved run also has, compared on the same queries with the paired
 * randomisation test (seeded, as the report's). It regressed when it dropped by more than `margin` and p < `alpha`:
 * a real drop, not noise, and not a negligible one. Configurations new in this run are not gated (`ungated`).
 */
export function checkRegressions(
  results: EvalResults,
  saved: SavedRun,
  options: RegressionOptions = {},
): { checks: RegressionCheck[]; ungated: string[] } {
  const measure = options.measure ?? 'ndcg@10';
  const margin = options.margin ?? 0.01;
  const alpha = options.alpha ?? 0.05;
  const checks: RegressionCheck[] = [];
  const ungated: string[] = [];
  for (const c of results.configurations) {
    const before = saved.perQuery.get(c.name);
    if (!before) {
      ungated.push(c.name);
      continue;
    }
    const cmp = compareEvaluations(
      evaluationFromPerQuery(before, [measure]),
      evaluationFromPerQuery(c.perQuery, [measure]),
      measure,
      { seed: 42 },
    );
    checks.push({
      name: c.name,
      measure,
      saved: meanOf(before, measure),
      now: meanOf(c.perQuery, measure),
      difference: cmp.meanDifference,
      pValue: cmp.randomisation.pValue,
      queries: cmp.queries,
      regressed: cmp.meanDifference < -margin && cmp.randomisation.pValue < alpha,
    });
  }
  return { checks, ungated };
}

function meanOf(perQuery: Record<string, Record<string, number>>, measure: string): number {
  const rows = Object.values(perQuery);
  return rows.reduce((a, q) => a + (q[measure] ?? 0), 0) / Math.max(1, rows.length);
}
