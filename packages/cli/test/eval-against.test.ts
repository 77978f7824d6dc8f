/**
 * `winnow eval --against <saved results.json>`, the regression gate, on ADI (82 documents, 35 queries, lexical
 * recall): an unchanged configuration passes, a deliberately degraded one (queries cut to their first word) fails
 * with exit 7, bad inputs exit 2 naming the option; and examples/weekly-reindex/reindex-and-gate.sh runs a reindex
 * then this gate.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.js';
import {
  CLI_NODE_ARGS,
  cleanEnv,
  copyFiles,
  parseJsonOutput,
  REPO_ROOT,
  runCli,
  SHARED,
  testConfigYaml,
} from './support/cli.js';

const ADI = join(SHARED, 'datasets/adi');
const SCRIPT = join(REPO_ROOT, 'examples/weekly-reindex/reindex-and-gate.sh');
let work: string;
const cli = (args: string[]) => runCli(args, { cwd: work });
const common = 'name: lexical\nchunk:\n  split: false\nembed:\n  device: cpu\nrerank:\n  provider: none\n';
const evalArgs = (config: string, out: string) => [
  'eval',
  '--dataset',
  ADI,
  '--config',
  config,
  '--out',
  out,
  '--cache-dir',
  'cache',
];

interface Gate {
  gateFailures: string[];
  against: {
    margin: number;
    checks: { name: string; difference: number; pValue: number; regressed: boolean; queries: number }[];
  };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'winnow-eval-against-'));
  writeFileSync(join(work, 'lexical.yaml'), `${common}recall:\n  mode: lexical\n  k: 20\n`);
  // The same configuration name, with every query cut to its first word: a real, large drop.
  writeFileSync(join(work, 'degraded.yaml'), `${common}recall:\n  mode: lexical\n  k: 20\n  maxQueryTokens: 1\n`);
  const accepted = await cli(evalArgs('lexical.yaml', 'accepted'));
  expect(accepted.code, accepted.stderr).toBe(EXIT.ok);
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('winnow eval --against', () => {
  it('passes an unchanged configuration: same figures, no drop', async () => {
    const run = await cli([...evalArgs('lexical.yaml', 'again'), '--against', 'accepted/results.json', '--json']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const gate = parseJsonOutput<Gate>(run);
    expect(gate.gateFailures).toEqual([]);
    expect(gate.against.margin).toBe(0.01);
    expect(gate.against.checks).toMatchObject([{ name: 'lexical', difference: 0, regressed: false, queries: 35 }]);
  }, 120_000);

  it('exits 2 naming the option for a missing saved run, a bad margin and a run of other queries', async () => {
    const cases: [string[], string][] = [
      [['--against', 'nowhere/results.json'], '--against'],
      [['--against', 'accepted', '--margin', 'abc'], '--margin'],
      [['--margin', '0.02'], '--margin'],
      [['--against', 'accepted', '--max-queries', '5'], '--against'],
    ];
    for (const [extra, field] of cases) {
      const run = await cli([...evalArgs('lexical.yaml', 'never'), ...extra, '--json']);
      expect(run.code, `${extra.join(' ')}: ${run.stderr}`).toBe(EXIT.usage);
      expect(parseJsonOutput<{ error: { field: string } }>(run).error.field).toBe(field);
    }
  }, 120_000);
});

describe('examples/weekly-reindex/reindex-and-gate.sh', () => {
  const script = (evalConfig: string, latest: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('bash', [SCRIPT], {
        env: cleanEnv({
          WINNOW: [process.execPath, ...CLI_NODE_ARGS].join(' '),
          DOCS: join(work, 'docs'),
          QUESTIONS: ADI,
          EVAL_CONFIG: join(work, evalConfig),
          ACCEPTED: join(work, 'accepted'),
          LATEST: join(work, latest),
          CACHE: join(work, 'cache'),
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => {
        stdout += s;
      });
      child.stderr.setEncoding('utf8').on('data', (s: string) => {
        stderr += s;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('reindexes the folder, then passes the unchanged configuration and fails the degraded one with 7', async () => {
    mkdirSync(join(work, 'docs'), { recursive: true });
    writeFileSync(join(work, 'docs/winnow.config.yaml'), testConfigYaml({ rerank: false }));
    copyFiles(REPO_ROOT, join(work, 'docs'), ['packages/core/README.md']);
    const passed = await script('lexical.yaml', 'latest-ok');
    expect(passed.code, passed.stderr).toBe(EXIT.ok);
    expect(passed.stdout).toContain('"added"'); // the reindex's JSON summary
    expect(passed.stdout).toMatch(/ok {3}lexical: ndcg@10 \d\.\d{4} → \d\.\d{4} \(\+0\.0000/);

    const failed = await script('degraded.yaml', 'latest-bad');
    expect(failed.code, failed.stderr).toBe(EXIT.gate);
    expect(failed.stdout).toMatch(/FAIL lexical: ndcg@10 .* \(a drop > 0\.01, p < 0\.05\)/);
    expect(failed.stdout).toContain('gate failed: lexical: ndcg@10');
  }, 240_000);
});
