/** Reference figures files: validation errors name the file and the field; matching by configuration name. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WinnowError } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import {
  compareWithReferences,
  loadReferenceFigures,
  matchReferenceFigures,
  parseReferenceFigures,
} from '../src/index.js';

const FILE = 'refs.json';

function errorOf(document: unknown): WinnowError {
  try {
    parseReferenceFigures(document, FILE);
  } catch (error) {
    if (error instanceof WinnowError) return error;
    throw error;
  }
  throw new Error('expected parseReferenceFigures to throw');
}

describe('parseReferenceFigures', () => {
  it('reads figures by configuration name and skips $comment', () => {
    const figures = parseReferenceFigures(
      { $comment: 'why', dense: [{ label: 'MTEB', source: 'paper', metrics: { 'ndcg@10': 0.645 } }] },
      FILE,
    );
    expect(figures).toEqual({ dense: [{ label: 'MTEB', source: 'paper', metrics: { 'ndcg@10': 0.645 } }] });
  });

  it.each([
    [[], '(root)', /keyed by configuration name/],
    [{ dense: {} }, 'dense', /list of reference figures/],
    [{ dense: [{ metrics: { 'ndcg@10': 0.6 } }] }, 'dense[0].label', /text/],
    [{ dense: [{ label: 'x' }] }, 'dense[0].metrics', /measure: value/],
    [{ dense: [{ label: 'x', metrics: {} }] }, 'dense[0].metrics', /at least one/],
    [{ dense: [{ label: 'x', metrics: { ndcg10: 0.6 } }] }, 'dense[0].metrics.ndcg10', /not a report measure/],
    [{ dense: [{ label: 'x', metrics: { 'ndcg@10': 64.5 } }] }, 'dense[0].metrics.ndcg@10', /\[0, 1\], got 64.5/],
    [{ dense: [{ label: 'x', metrics: { 'ndcg@10': 0.6 }, url: 'u' }] }, 'dense[0].url', /unknown key/],
  ])('rejects %j at %s', (document, field, message) => {
    const error = errorOf(document);
    expect(error.code).toBe('E_CONFIG_INVALID');
    expect(error.file).toBe(FILE);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('loads a file and names it when it is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'winnow-refs-'));
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify({ lexical: [{ label: 'BM25', metrics: { 'ndcg@10': 0.665 } }] }));
    expect((await loadReferenceFigures(good)).lexical?.[0]?.label).toBe('BM25');
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ lexical: ');
    await expect(loadReferenceFigures(bad)).rejects.toMatchObject({ code: 'E_CONFIG_INVALID', file: bad });
    await expect(loadReferenceFigures(join(dir, 'none.json'))).rejects.toMatchObject({ code: 'E_CONFIG_NOT_FOUND' });
  });
});

describe('matchReferenceFigures and compareWithReferences', () => {
  it('keeps the names this run has and lists the others', () => {
    const figure = { label: 'x', metrics: { 'ndcg@10': 0.5 } };
    const { matched, unused } = matchReferenceFigures({ dense: [figure], 'bge-dense': [figure] }, ['dense', 'hybrid']);
    expect(Object.keys(matched)).toEqual(['dense']);
    expect(unused).toEqual(['bge-dense']);
  });

  it('gives ours minus theirs only for measures both have', () => {
    const [compared] = compareWithReferences({ 'ndcg@10': 0.7, 'mrr@10': 0.6 }, [
      { label: 'x', metrics: { 'ndcg@10': 0.65, 'recall@1000': 0.99 } },
    ]);
    expect(compared?.difference['ndcg@10']).toBeCloseTo(0.05, 12);
    expect(Object.keys(compared?.difference ?? {})).toEqual(['ndcg@10']);
  });
});
