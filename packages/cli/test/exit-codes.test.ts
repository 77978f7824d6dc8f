/**
 * The documented exit codes, each produced by the failure it stands for: bad usage and configuration (2), a
 * missing model (6), an unreachable database (5) and a failed eval gate (7). Codes 0, 3 and 4 are shown in
 * workflow.test.ts on an indexed folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.js';
import { parseJsonOutput, runCli, SHARED, testConfigYaml } from './support/cli.js';

interface DoctorReport {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string; hint?: string; exitCode?: number }[];
}

let work: string;
const cli = (args: string[], env?: Record<string, string | undefined>) =>
  runCli(args, { cwd: work, ...(env ? { env } : {}) });
const check = (report: DoctorReport, name: string) => report.checks.find((c) => c.name === name);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'winnow-cli-exit-'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('usage errors exit 2', () => {
  it('--help lists the exit codes and exits 0', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain('Exit codes:');
    expect(run.stdout).toContain('4 another run holds the lock');
  });

  it('a missing argument or an unknown command (subcommand help exits 0)', async () => {
    const missing = await cli(['query']);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain("missing required argument 'text'");
    const subcommandHelp = await cli(['query', '--help']);
    expect(subcommandHelp.code).toBe(EXIT.ok);
    expect(subcommandHelp.stdout).toContain('Usage: winnow query');
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });

  // A gate without '=' and one whose value is not a number (it used to become NaN and never fail).
  it.each(['ndcg@10>0.5', 'ndcg@10=0.6.1'])('a bad --fail-below gate %s names the option', async (gate) => {
    const run = await cli(['eval', '--dataset', 'x', '--config', 'c.yaml', '--fail-below', gate, '--json']);
    expect(run.code).toBe(EXIT.usage);
    const output = parseJsonOutput<{ error: { code: string; field: string } }>(run);
    expect(output.error).toMatchObject({ code: 'E_CONFIG_INVALID', field: '--fail-below' });
  });

  // Each of these used to run with exit 0: parseInt read -3 as -3 (43 results), 1e3 as 1, abc as "no k" (#16).
  it('a numeric option that is not a positive whole number names the option and the value', async () => {
    const cases = [
      ['query', 'x', '-k', '-3'],
      ['query', 'x', '-k', 'abc'],
      ['query', 'x', '--k', '1e3'],
      ['query', 'x', '-k', '0'],
      ['query', 'x', '-k', '2.5'],
      ['eval', '--dataset', 'x', '--max-queries', '-1'],
      ['eval', '--dataset', 'x', '--tune-split', 'train', '--tune-queries', '10x'],
    ];
    const runs = await Promise.all(cases.map((args) => cli(args)));
    runs.forEach((run, i) => {
      const args = cases[i] as string[];
      const value = args.at(-1) as string;
      const option = args.at(-2) as string;
      expect(run.code, args.join(' ')).toBe(EXIT.usage);
      expect(run.stderr).toContain(`'${value}' is invalid`);
      expect(run.stderr).toContain(option === '-k' ? '-k, --k <n>' : option);
      expect(run.stderr).toContain('positive whole number');
    });
  });

  it('doctor names the configuration field at fault', async () => {
    const dir = join(work, 'bad-config');
    mkdirSync(dir);
    writeFileSync(join(dir, 'winnow.config.yaml'), 'recall:\n  k: -5\nembed:\n  device: cpu\n');
    const run = await runCli(['doctor'], { cwd: dir });
    expect(run.code).toBe(EXIT.usage);
    expect(run.stdout).toMatch(/^\[FAIL\] config: .*winnow\.config\.yaml.*recall\.k/m);
    expect(run.stdout).toContain('fix: fix the field named above');
  });
});

describe('environment failures', () => {
  it('doctor exits 6 when the embedding model is nowhere to be found, with a hint', async () => {
    const dir = join(work, 'no-model');
    const emptyModels = join(work, 'empty-models');
    mkdirSync(dir);
    mkdirSync(emptyModels);
    // A name no hub has, so a machine with network access cannot download anything either.
    writeFileSync(
      join(dir, 'winnow.config.yaml'),
      testConfigYaml({ rerank: false }).replace('all-MiniLM-L6-v2', 'winnow-test-no-such-model'),
    );
    const run = await runCli(['doctor', '--json'], { cwd: dir, env: { WINNOW_MODELS: emptyModels } });
    expect(run.code).toBe(EXIT.model);
    const report = parseJsonOutput<DoctorReport>(run);
    expect(report.ok).toBe(false);
    const model = check(report, 'embedding model');
    expect(model).toMatchObject({ ok: false, exitCode: EXIT.model });
    expect(model?.detail).toContain('winnow-test-no-such-model');
    expect(model?.detail).toContain('WINNOW_MODELS');
    expect(model?.hint).toContain('WINNOW_MODELS');
    expect(check(report, 'database')?.ok).toBe(true);
  });

  it('doctor exits 5 when DATABASE_URL points at no server', async () => {
    const dir = join(work, 'no-db');
    mkdirSync(dir);
    writeFileSync(join(dir, 'winnow.config.yaml'), testConfigYaml({ rerank: false }));
    const run = await runCli(['doctor', '--json'], {
      cwd: dir,
      // Port 9 (discard) on the loopback: nothing listens, so the connection is refused at once.
      env: { DATABASE_URL: 'postgres://winnow:winnow@127.0.0.1:9/winnow' },
    });
    expect(run.code).toBe(EXIT.database);
    const database = check(parseJsonOutput<DoctorReport>(run), 'database');
    expect(database).toMatchObject({ ok: false, exitCode: EXIT.database });
    expect(database?.detail).toContain('DATABASE_URL');
    expect(database?.hint).toContain('setup-postgres.sh');
  });
});

describe('winnow eval names', () => {
  it('a typo in --baseline exits 2 before anything is read or indexed, naming it and the valid names', async () => {
    writeFileSync(join(work, 'lexical.yaml'), 'name: lexical\nrecall:\n  mode: lexical\n');
    writeFileSync(join(work, 'dense-named.yaml'), 'name: dense\nrecall:\n  mode: dense\n');
    const args = ['eval', '--dataset', join(SHARED, 'datasets/adi'), '--config', 'lexical.yaml'];
    const run = await cli([
      ...args,
      '--config',
      'dense-named.yaml',
      '--baseline',
      'lexcial',
      '--cache-dir',
      'typo-cache',
      '--out',
      'typo-out',
    ]);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('E_CONFIG_INVALID: field --baseline: no configuration is named "lexcial"');
    expect(run.stderr).toContain('(have: lexical, dense)');
    expect(run.stderr).not.toContain('    at '); // a message, not a stack trace
    expect(existsSync(join(work, 'typo-cache'))).toBe(false);
    expect(existsSync(join(work, 'typo-out'))).toBe(false);

    const untuned = await cli([...args, '--untuned', 'dense', '--json']);
    expect(untuned.code).toBe(EXIT.usage);
    expect(parseJsonOutput<{ error: { field: string } }>(untuned).error.field).toBe('--untuned');
    const sameSplit = await cli([...args, '--tune-split', 'test', '--json']);
    expect(sameSplit.code).toBe(EXIT.usage);
    expect(parseJsonOutput<{ error: { field: string } }>(sameSplit).error.field).toBe('--tune-split');
  });
});

describe('winnow eval --fail-below', () => {
  it('exits 7 when a configuration scores below the gate, after writing the report', async () => {
    const dataset = join(work, 'adi-mini');
    writeMiniBeir(join(SHARED, 'datasets/adi'), dataset, 5, 12);
    writeFileSync(
      join(work, 'dense.yaml'),
      'name: dense\nchunk:\n  split: false\nembed:\n  device: cpu\nrecall:\n  mode: dense\n  k: 10\n',
    );
    writeFileSync(
      join(work, 'refs.json'),
      JSON.stringify({
        dense: [{ label: 'a published run', metrics: { 'ndcg@10': 0.5 } }],
        'bge-dense': [{ label: 'not in this run', metrics: { 'ndcg@10': 0.7 } }],
      }),
    );
    const run = await cli([
      'eval',
      '--dataset',
      dataset,
      '--config',
      'dense.yaml',
      '--references',
      'refs.json',
      '--fail-below',
      'ndcg@10=1.01',
      '--out',
      'eval-out',
      '--cache-dir',
      'eval-cache',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(EXIT.gate);
    const output = parseJsonOutput<{
      queries: number;
      configurations: {
        name: string;
        metrics: Record<string, number>;
        references?: { label: string; difference: Record<string, number> }[];
      }[];
      files: Record<string, string>;
      gateFailures: string[];
      unusedReferences: string[];
    }>(run);
    expect(output.queries).toBe(5);
    const ndcg = output.configurations[0]?.metrics['ndcg@10'] ?? Number.NaN;
    expect(ndcg).toBeGreaterThan(0);
    expect(ndcg).toBeLessThanOrEqual(1);
    expect(output.gateFailures).toEqual([`dense: ndcg@10 ${ndcg.toFixed(4)} < 1.01`]);
    expect(output.configurations[0]?.references?.[0]?.label).toBe('a published run');
    expect(output.configurations[0]?.references?.[0]?.difference['ndcg@10']).toBeCloseTo(ndcg - 0.5, 12);
    expect(output.unusedReferences).toEqual(['bge-dense']);
    expect(readFileSync(join(work, 'eval-out/report.html'), 'utf8')).toContain('dense');
  });
});

/** A small BEIR folder: the first `queries` queries, their relevant documents, and others up to `documents`. */
function writeMiniBeir(from: string, to: string, queries: number, documents: number): void {
  const lines = (file: string) => readFileSync(join(from, file), 'utf8').split('\n').filter(Boolean);
  const chosenQueries = lines('queries.jsonl').slice(0, queries);
  const queryIds = new Set(chosenQueries.map((line) => (JSON.parse(line) as { _id: string })._id));
  const [header = '', ...qrels] = lines('qrels/test.tsv');
  const chosenQrels = qrels.filter((row) => queryIds.has(row.split('\t')[0] ?? ''));
  const docIds = new Set(chosenQrels.map((row) => row.split('\t')[1] ?? ''));
  const corpus = lines('corpus.jsonl');
  for (const line of corpus) {
    if (docIds.size >= documents) break;
    docIds.add((JSON.parse(line) as { _id: string })._id);
  }
  mkdirSync(join(to, 'qrels'), { recursive: true });
  writeFileSync(
    join(to, 'corpus.jsonl'),
    `${corpus.filter((line) => docIds.has((JSON.parse(line) as { _id: string })._id)).join('\n')}\n`,
  );
  writeFileSync(join(to, 'queries.jsonl'), `${chosenQueries.join('\n')}\n`);
  writeFileSync(join(to, 'qrels/test.tsv'), `${[header, ...chosenQrels].join('\n')}\n`);
}
