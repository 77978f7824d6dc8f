/**
 * `winnow eval` tuning on a BEIR folder without a train split (ADI has only test judgements): k-fold
 * cross-validation with `--tune-folds`, and exit 2 with the valid choices for every combination that cannot work.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.js';
import { parseJsonOutput, runCli, SHARED } from './support/cli.js';

const ADI = join(SHARED, 'datasets/adi');
let work: string;
const cli = (args: string[]) => runCli(args, { cwd: work });

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'winnow-eval-tuning-'));
  const common = 'chunk:\n  split: false\nembed:\n  device: cpu\n';
  // Stage 2 is on by default: these two turn it off.
  const noRerank = 'rerank:\n  provider: none\n';
  writeFileSync(join(work, 'lexical.yaml'), `name: lexical\n${common}${noRerank}recall:\n  mode: lexical\n  k: 20\n`);
  writeFileSync(join(work, 'hybrid.yaml'), `name: hybrid\n${common}${noRerank}recall:\n  mode: hybrid\n  k: 20\n`);
  writeFileSync(
    join(work, 'reranked.yaml'),
    `name: dense+rerank\n${common}recall:\n  mode: dense\n  k: 20\nrerank:\n  model: ce-minilm-l6-scifact\n  device: cpu\n  depth: 10\n  maxTokens: 256\n`,
  );
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('winnow eval tuning: combinations that cannot work exit 2 and say what can', () => {
  const base = ['eval', '--dataset', ADI, '--config', 'lexical.yaml', '--config', 'hybrid.yaml', '--out', 'no-out'];
  it.each([
    {
      why: 'tuning on the scored split without folds',
      args: ['--tune-split', 'test'],
      field: '--tune-split',
      says: ['tuned on itself', '--tune-folds 5'],
    },
    {
      why: 'a tuning split the folder does not have',
      args: ['--tune-split', 'train'],
      field: '--tune-split',
      says: ['no qrels/train.tsv', '(test)', '--tune-folds 5'],
    },
    {
      why: '--untuned without tuning',
      args: ['--untuned', 'hybrid'],
      field: '--untuned',
      says: ['nothing is tuned', '--tune-split <split> or --tune-folds <k>'],
    },
    { why: 'one fold', args: ['--tune-folds', '1'], field: '--tune-folds', says: ['at least 2 folds'] },
    {
      why: 'folds on one split, tuning on another',
      args: ['--tune-folds', '3', '--tune-split', 'train'],
      field: '--tune-folds',
      says: ['give one of the two'],
    },
    {
      why: '--tune-queries without a tuning split',
      args: ['--tune-queries', '5'],
      field: '--tune-queries',
      says: ['nothing is tuned'],
    },
  ])('$why', async ({ args, field, says }) => {
    const run = await cli([...base, ...args, '--json']);
    expect(run.code, run.stderr).toBe(EXIT.usage);
    const { error } = parseJsonOutput<{ error: { field: string; message: string } }>(run);
    expect(error.field).toBe(field);
    for (const text of says) expect(error.message).toContain(text);
  });

  it('an unknown reported split names the splits the folder has', async () => {
    const run = await cli([...base, '--split', 'dev']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('has no qrels for split "dev" (splits there: test)');
    expect(run.stderr).not.toContain('    at ');
  });
});

describe('winnow eval --tune-folds on a folder without a train split', () => {
  it('scores every query with settings tuned on the other folds and records each fold', async () => {
    const run = await cli([
      'eval',
      '--dataset',
      ADI,
      '--config',
      'lexical.yaml',
      '--config',
      'hybrid.yaml',
      '--config',
      'reranked.yaml',
      '--tune-folds',
      '3',
      '--max-queries',
      '9',
      '--out',
      'folds-out',
      '--cache-dir',
      'folds-cache',
    ]);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const results = JSON.parse(readFileSync(join(work, 'folds-out/results.json'), 'utf8')) as {
      configurations: {
        name: string;
        chosenBy: { how: string; folds?: number; seed?: number; reason?: string };
        folds?: {
          fold: number;
          queryIds: string[];
          tuning?: { queries: number; chosen: { method: string; weight: number } };
          recallTuning?: { queries: number; lexicalWeight: number };
        }[];
      }[];
    };
    const [lexical, hybrid, reranked] = results.configurations;
    expect(lexical?.chosenBy).toEqual({ how: 'as-written', reason: 'nothing to tune' });
    expect(lexical?.folds).toBeUndefined();
    for (const c of [hybrid, reranked]) {
      expect(c?.chosenBy).toEqual({ how: 'k-fold', folds: 3, seed: 42 });
      const folds = c?.folds ?? [];
      expect(folds.map((f) => f.fold)).toEqual([1, 2, 3]);
      const ids = folds.flatMap((f) => f.queryIds);
      // Disjoint folds covering the 9 scored queries, 3 each.
      expect(new Set(ids).size).toBe(9);
      expect(folds.map((f) => f.queryIds.length)).toEqual([3, 3, 3]);
      for (const f of folds) {
        // Tuned on the other 6 queries only.
        const tuned = c?.name === 'hybrid' ? f.recallTuning?.queries : f.tuning?.queries;
        expect(tuned).toBe(6);
      }
    }
    // The same seed deals the same folds to every configuration.
    expect(hybrid?.folds?.map((f) => f.queryIds)).toEqual(reranked?.folds?.map((f) => f.queryIds));
    expect(run.stdout).toContain('k-fold (3 folds');
    const report = readFileSync(join(work, 'folds-out/report.html'), 'utf8');
    expect(report).toContain('k-fold (3 folds');
    expect(report).toContain('fold 1: 3 queries scored with');
  }, 300_000);
});
