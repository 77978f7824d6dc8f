import { readFile } from 'node:fs/promises';
import { WinnowError } from '@winnow/core';

/** A figure measured elsewhere for the same setting (a paper, a model card), shown beside a configuration's own. */
export interface ReferenceFigure {
  /** What produced it, e.g. "BM25 (BEIR paper)". */
  label: string;
  /** Where it comes from: a citation or a file. */
  source?: string;
  /** Mean values under the report's measure names, e.g. `{ "ndcg@10": 0.665 }`. */
  metrics: Record<string, number>;
}

/** A reference beside the configuration's own figures: `difference` is ours minus theirs, per shared measure. */
export interface ReferenceComparison extends ReferenceFigure {
  difference: Record<string, number>;
}

/** Reference figures by configuration name, as read from a references file. */
export type ReferenceFigures = Record<string, ReferenceFigure[]>;

const MEASURE = /^(ndcg|mrr|recall|map|p|hit)@\d+$/;

function invalid(file: string, field: string, message: string): WinnowError {
  return new WinnowError('E_CONFIG_INVALID', message, { file, field });
}

function parseFigure(value: unknown, file: string, field: string): ReferenceFigure {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(file, field, 'expected an object with label, metrics and optionally source');
  }
  const { label, source, metrics, ...rest } = value as Record<string, unknown>;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) throw invalid(file, `${field}.${unknownKey}`, 'unknown key');
  if (typeof label !== 'string' || label.trim() === '') throw invalid(file, `${field}.label`, 'expected a text');
  if (source !== undefined && typeof source !== 'string') throw invalid(file, `${field}.source`, 'expected a text');
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) {
    throw invalid(file, `${field}.metrics`, 'expected an object of measure: value, e.g. {"ndcg@10": 0.665}');
  }
  const entries = Object.entries(metrics as Record<string, unknown>);
  if (entries.length === 0) throw invalid(file, `${field}.metrics`, 'give at least one measure');
  for (const [measure, v] of entries) {
    if (!MEASURE.test(measure)) {
      throw invalid(
        file,
        `${field}.metrics.${measure}`,
        'not a report measure (ndcg@k, mrr@k, recall@k, map@k, p@k, hit@k)',
      );
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
      throw invalid(file, `${field}.metrics.${measure}`, `expected a number in [0, 1], got ${JSON.stringify(v)}`);
    }
  }
  return { label, ...(source === undefined ? {} : { source }), metrics: metrics as Record<string, number> };
}

/**
 * Validates a references document: `{ "<configuration name>": [{ label, source?, metrics }] }` (a `$comment`
 * key is allowed). Every entry is validated, whether or not this run has a configuration of that name.
 */
export function parseReferenceFigures(document: unknown, file: string): ReferenceFigures {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalid(file, '(root)', 'expected an object keyed by configuration name');
  }
  const figures: ReferenceFigures = {};
  for (const [name, list] of Object.entries(document as Record<string, unknown>)) {
    if (name === '$comment') continue;
    if (!Array.isArray(list)) throw invalid(file, name, 'expected a list of reference figures');
    figures[name] = list.map((item, i) => parseFigure(item, file, `${name}[${i}]`));
  }
  return figures;
}

/**
 * Splits reference figures by whether a configuration of this run has the name. A references file may cover
 * more configurations than one run evaluates; callers should say which names went unused, so that a renamed
 * configuration does not silently lose its references.
 */
export function matchReferenceFigures(
  figures: ReferenceFigures,
  configurationNames: readonly string[],
): { matched: ReferenceFigures; unused: string[] } {
  const matched: ReferenceFigures = {};
  const unused: string[] = [];
  for (const [name, list] of Object.entries(figures)) {
    if (configurationNames.includes(name)) matched[name] = list;
    else unused.push(name);
  }
  return { matched, unused };
}

/** Reads a references JSON file (see parseReferenceFigures). */
export async function loadReferenceFigures(file: string): Promise<ReferenceFigures> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new WinnowError('E_CONFIG_NOT_FOUND', 'cannot read the references file', { file, cause: error });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new WinnowError('E_CONFIG_INVALID', `not valid JSON: ${(error as Error).message}`, { file, cause: error });
  }
  return parseReferenceFigures(document, file);
}

/** Ours minus theirs for every measure both have. */
export function compareWithReferences(
  metrics: Record<string, number>,
  references: readonly ReferenceFigure[],
): ReferenceComparison[] {
  return references.map((reference) => ({
    ...reference,
    difference: Object.fromEntries(
      Object.entries(reference.metrics)
        .filter(([measure]) => metrics[measure] !== undefined)
        .map(([measure, value]) => [measure, (metrics[measure] as number) - value]),
    ),
  }));
}
