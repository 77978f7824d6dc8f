import { basename, extname, resolve } from 'node:path';
import { applyEnvironment, loadConfigFile, WinnowError } from '@winnow/core';
import {
  cachedWork,
  checkRegressions,
  checkSavedRunMatches,
  describeConfiguration,
  type EvalConfiguration,
  type EvalResults,
  loadReferenceFigures,
  loadSavedRun,
  matchReferenceFigures,
  type RegressionCheck,
  runEvaluation,
  SETTINGS_COLUMNS,
  validateEvalNames,
  writeEvalOutputs,
} from '@winnow/eval';
import { EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { type PrincipalOptions, principalFrom } from '../principal.js';

export interface EvalCommandOptions extends PrincipalOptions {
  dataset: string;
  split: string;
  config: string[];
  baseline?: string;
  failBelow?: string[];
  tuneSplit?: string;
  tuneQueries?: number;
  tuneFolds?: number;
  untuned?: string[];
  maxQueries?: number;
  out: string;
  cacheDir: string;
  rerankCache?: boolean;
  recallCache?: boolean;
  references?: string;
  json?: boolean;
  generate?: boolean;
  /** A saved run's results.json: exit 7 when a configuration drops significantly from it. */
  against?: string;
  /** With `against`: the smallest drop of nDCG@10 that fails. */
  margin?: string;
  chunks?: number;
  questions?: number;
  seed?: number;
}

/** Parses `metric=value` gates, e.g. `ndcg@10=0.65`. */
export function parseGates(gates: readonly string[]): { measure: string; minimum: number }[] {
  return gates.map((gate) => {
    const match = /^([A-Za-z_@.0-9]+)=([0-9]+(?:\.[0-9]+)?|\.[0-9]+)$/.exec(gate);
    if (!match) {
      throw new WinnowError(
        'E_CONFIG_INVALID',
        `expected metric=value such as ndcg@10=0.6, got ${JSON.stringify(gate)}`,
        {
          field: '--fail-below',
        },
      );
    }
    return { measure: match[1] as string, minimum: Number(match[2]) };
  });
}

/** The smallest drop `--against` fails on: a number ≥ 0, default 0.01 (nDCG@10). */
function parseMargin(value: string | undefined): number {
  if (value === undefined) return 0.01;
  const margin = /^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!(margin >= 0 && margin < 1)) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `expected a drop of nDCG@10 in [0, 1) such as 0.01, got ${JSON.stringify(value)}`,
      {
        field: '--margin',
      },
    );
  }
  return margin;
}

function regressionText(c: RegressionCheck, margin: number): string {
  const sign = c.difference >= 0 ? '+' : '';
  const verdict = c.regressed ? ` (a drop > ${margin}, p < 0.05)` : '';
  return `${c.measure} ${c.saved.toFixed(4)} → ${c.now.toFixed(4)} (${sign}${c.difference.toFixed(4)}, p ${c.pValue.toFixed(4)}, ${c.queries} queries)${verdict}`;
}

/** Generated datasets: finding the source chunk beside finding its document, per configuration. */
function chunkLevelLines(results: EvalResults): string[] {
  const f = (v: number | undefined) => (v ?? 0).toFixed(4);
  return results.configurations
    .filter((c) => c.metrics['chunk-hit@10'] !== undefined)
    .map(
      (c) =>
        `${c.name}: source chunk: hit@10 ${f(c.metrics['chunk-hit@10'])}, MRR@10 ${f(c.metrics['chunk-mrr@10'])} · its document: hit@10 ${f(c.metrics['hit@10'])}, MRR@10 ${f(c.metrics['mrr@10'])}`,
    );
}

/** One line per reference figure: ours vs theirs on nDCG@10 and Recall@100. */
function referenceLines(results: EvalResults): string[] {
  const show = (ours: number | undefined, theirs: number | undefined, diff: number | undefined) =>
    theirs === undefined || diff === undefined
      ? '–'
      : `${(ours ?? 0).toFixed(4)} vs ${theirs.toFixed(4)} (${diff >= 0 ? '+' : ''}${diff.toFixed(4)})`;
  return results.configurations.flatMap((c) =>
    (c.references ?? []).map(
      (r) =>
        `${c.name} beside ${r.label}: ndcg@10 ${show(c.metrics['ndcg@10'], r.metrics['ndcg@10'], r.difference['ndcg@10'])}, recall@100 ${show(c.metrics['recall@100'], r.metrics['recall@100'], r.difference['recall@100'])}`,
    ),
  );
}

// Marks latency figures that leave out rerank scores or recall results taken from a cache.
const mark = (c: EvalResults['configurations'][number]) => (cachedWork(c) ? '*' : '');

/** Lines of a left-aligned table (first column) with right-aligned figures unless `leftAll`. */
function formatTable(header: string[], rows: string[][], leftAll = false): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 || leftAll ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** What each configuration ran with and how its weights were chosen, so no figure is read without its setting. */
function settingsTable(results: EvalResults): string {
  const header = ['configuration', ...SETTINGS_COLUMNS.map(([, heading]) => heading)];
  const rows = results.configurations.map((c) => {
    const settings = describeConfiguration(c);
    return [c.name, ...SETTINGS_COLUMNS.map(([key]) => settings[key])];
  });
  return formatTable(header, rows, true).join('\n');
}

function table(results: EvalResults): string {
  const cols = ['ndcg@10', 'mrr@10', 'recall@10', 'recall@50', 'recall@100', 'map@100'];
  const header = ['configuration', ...cols, 'p50 ms', 'p95 ms', 'q/s', 'Δndcg@10 (p)'];
  const rows = results.configurations.map((c) => {
    const cmp = c.comparison?.['ndcg@10'];
    return [
      c.name,
      ...cols.map((m) => (c.metrics[m] ?? 0).toFixed(4)),
      `${c.latencyMs.total.p50.toFixed(1)}${mark(c)}`,
      `${c.latencyMs.total.p95.toFixed(1)}${mark(c)}`,
      `${c.queriesPerSecond.toFixed(2)}${mark(c)}`,
      cmp
        ? `${cmp.meanDifference >= 0 ? '+' : ''}${cmp.meanDifference.toFixed(4)} (${cmp.randomisation.pValue.toFixed(3)})`
        : 'baseline',
    ];
  });
  const cached = results.configurations.filter((c) => mark(c));
  const note = cached.length
    ? [
        `* rerank scores or recall results partly from a cache (${cached.map((c) => `${c.name} ${cachedWork(c)}`).join(', ')}): latency leaves them out`,
      ]
    : [];
  return [...formatTable(header, rows), ...note].join('\n');
}

/** `winnow eval`: scores configurations on a BEIR folder, writes the report, and gates with --fail-below. */
export async function runEvalCommand(options: EvalCommandOptions, out: Output): Promise<number> {
  // Checked first, like every other option: a bad principal answers before any model loads.
  const principal = principalFrom(options);
  if (options.generate) {
    if (options.config.length > 1) {
      throw new WinnowError(
        'E_CONFIG_INVALID',
        `--generate reads one collection: give one --config (got ${options.config.length})`,
        { field: '--config' },
      );
    }
    const { runEvalGenerate } = await import('./eval-generate.js');
    return runEvalGenerate(
      {
        ...(options.config[0] === undefined ? {} : { config: options.config[0] }),
        dataset: options.dataset,
        chunks: options.chunks ?? 50,
        questions: options.questions ?? 2,
        seed: options.seed ?? 1,
      },
      out,
    );
  }
  if (options.config.length === 0) {
    throw new WinnowError('E_CONFIG_INVALID', 'give at least one --config file', { field: '--config' });
  }
  const gates = parseGates(options.failBelow ?? []);
  const configurations: EvalConfiguration[] = [];
  for (const file of options.config) {
    const config = applyEnvironment(await loadConfigFile(resolve(file)), process.env);
    configurations.push({ name: config.name ?? basename(file, extname(file)), config });
  }
  const names = configurations.map((c) => c.name);
  // Every name is checked before the dataset is read or anything indexed.
  validateEvalNames({
    configurations,
    split: options.split,
    ...(options.baseline === undefined ? {} : { baseline: options.baseline }),
    ...(options.untuned === undefined ? {} : { untuned: options.untuned }),
    ...(options.tuneSplit === undefined ? {} : { tuneSplit: options.tuneSplit }),
    ...(options.tuneFolds === undefined ? {} : { tuneFolds: options.tuneFolds }),
  });
  if (options.tuneQueries !== undefined && (options.tuneSplit === undefined || options.tuneFolds !== undefined)) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      options.tuneFolds === undefined
        ? '--tune-queries cuts the tuning split, but nothing is tuned: add --tune-split <split>'
        : '--tune-queries does not apply to --tune-folds (each fold tunes on all the other folds): drop it',
      { field: '--tune-queries' },
    );
  }
  for (const configuration of configurations) {
    if (options.untuned?.includes(configuration.name)) configuration.tune = false;
  }
  if (options.margin !== undefined && options.against === undefined) {
    throw new WinnowError('E_CONFIG_INVALID', '--margin applies to --against <results.json>: add it or drop --margin', {
      field: '--margin',
    });
  }
  const margin = parseMargin(options.margin);
  // The saved run is read and matched before anything is indexed.
  const saved = options.against === undefined ? undefined : await loadSavedRun(resolve(options.against));
  if (saved) {
    checkSavedRunMatches(saved, {
      dataset: basename(resolve(options.dataset)),
      split: options.split,
      ...(options.maxQueries === undefined ? {} : { maxQueries: options.maxQueries }),
    });
  }
  let unusedReferences: string[] = [];
  if (options.references !== undefined) {
    const { matched, unused } = matchReferenceFigures(await loadReferenceFigures(resolve(options.references)), names);
    unusedReferences = unused;
    for (const configuration of configurations) {
      const references = matched[configuration.name];
      if (references) configuration.references = references;
    }
    if (unused.length > 0) out.info(`references for ${unused.join(', ')}: no configuration of that name in this run`);
  }

  const bars = new Map<string, ReturnType<Output['progress']>>();
  const bar = (key: string) => {
    let b = bars.get(key);
    if (!b) {
      b = out.progress(key);
      bars.set(key, b);
    }
    return b;
  };
  const results = await runEvaluation({
    dataset: resolve(options.dataset),
    ...(principal === undefined ? {} : { principal }),
    split: options.split,
    configurations,
    ...(options.baseline === undefined ? {} : { baseline: options.baseline }),
    ...(options.tuneSplit === undefined && options.tuneFolds === undefined
      ? {}
      : {
          tune: {
            split: options.tuneSplit ?? options.split,
            ...(options.tuneFolds === undefined ? {} : { folds: options.tuneFolds }),
            ...(options.tuneQueries === undefined ? {} : { maxQueries: options.tuneQueries }),
          },
        }),
    ...(options.maxQueries === undefined ? {} : { maxQueries: options.maxQueries }),
    cacheDir: resolve(options.cacheDir),
    rerankCache: options.rerankCache ?? false,
    recallCache: options.recallCache ?? false,
    databaseUrl: process.env.DATABASE_URL,
    onProgress: (p) =>
      bar(`${p.phase} ${p.configuration}`).update(
        p.done,
        p.total || undefined,
        p.phase === 'index' ? 'documents' : 'queries',
      ),
  });
  for (const b of bars.values()) b.stop();
  const files = await writeEvalOutputs(results, resolve(options.out));
  const regression = saved ? checkRegressions(results, saved, { margin }) : undefined;
  const failures = [
    ...gates.flatMap(({ measure, minimum }) =>
      results.configurations
        .filter((c) => (c.metrics[measure] ?? Number.NEGATIVE_INFINITY) < minimum)
        .map((c) => `${c.name}: ${measure} ${(c.metrics[measure] ?? Number.NaN).toFixed(4)} < ${minimum}`),
    ),
    ...(regression?.checks ?? []).filter((c) => c.regressed).map((c) => `${c.name}: ${regressionText(c, margin)}`),
  ];
  if (out.json) {
    out.result(
      JSON.stringify(
        {
          dataset: results.dataset,
          split: results.split,
          queries: results.queries,
          configurations: results.configurations.map((c) => ({
            name: c.name,
            settings: describeConfiguration(c),
            chosenBy: c.chosenBy,
            ...(c.folds ? { folds: c.folds } : {}),
            metrics: c.metrics,
            latencyMs: c.latencyMs,
            queriesPerSecond: c.queriesPerSecond,
            ...(c.references ? { references: c.references } : {}),
          })),
          files,
          gateFailures: failures,
          ...(regression && saved
            ? {
                against: {
                  file: saved.file,
                  margin,
                  alpha: 0.05,
                  checks: regression.checks,
                  ungated: regression.ungated,
                },
              }
            : {}),
          ...(options.references === undefined ? {} : { unusedReferences }),
        },
        null,
        2,
      ),
    );
  } else {
    out.result(table(results));
    out.result(`\n${settingsTable(results)}`);
    const chunkLevel = chunkLevelLines(results);
    if (chunkLevel.length > 0) out.result(`\n${chunkLevel.join('\n')}`);
    const lines = referenceLines(results);
    if (lines.length > 0) out.result(`\n${lines.join('\n')}`);
    if (regression && saved) {
      out.result(`\nagainst ${saved.file} (fails on a drop > ${margin} with paired randomisation p < 0.05):`);
      for (const c of regression.checks)
        out.result(`  ${c.regressed ? 'FAIL' : 'ok  '} ${c.name}: ${regressionText(c, margin)}`);
      for (const name of regression.ungated) out.result(`  new  ${name}: not in the saved run, not gated`);
    }
    out.result(`\nreport: ${resolve(options.out, 'report.html')}`);
    for (const f of failures) out.result(`gate failed: ${f}`);
  }
  return failures.length > 0 ? EXIT.gate : EXIT.ok;
}
