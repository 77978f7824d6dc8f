/**
 * Every example under examples/ runs (or, for the schedulers' files, is checked and its command run): the library
 * quick start, the custom reranker and stage registered by name, the PostgreSQL server script, the weekly-reindex crontab / systemd / Kubernetes files, the LangChain
 * chain and the vLLM configuration (end to end against a local server speaking vLLM's OpenAI-compatible protocol).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, parseConfigText } from '@winnow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI_FROM,
  type CliResult,
  cleanEnv,
  copyFiles,
  MARKDOWN_OLD,
  parseJsonOutput,
  REPO_ROOT,
  runCli,
} from '../packages/cli/test/support/cli.js';
import { type OpenAIServer, startOpenAIServer } from './support/openai-server.js';
import { isValidCronSchedule, parseUnitFile, parseWinnow, winnowArgv } from './support/schedules.js';

const EXAMPLES = join(REPO_ROOT, 'examples');
const TSX_LOADER = join(REPO_ROOT, 'node_modules/tsx/dist/esm/index.mjs');
let work: string;
let server: OpenAIServer;

/** Runs an example script with tsx, against the packages' sources or their fresh build (as the CLI tests do). */
function runExample(file: string, args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const conditions = CLI_FROM === 'source' ? ['--conditions=source'] : [];
    const child = spawn(process.execPath, [...conditions, '--import', TSX_LOADER, join(EXAMPLES, file), ...args], {
      cwd: REPO_ROOT,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdoutReads: string[] = [];
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (piece: string) => stdoutReads.push(piece));
    child.stderr.setEncoding('utf8').on('data', (piece: string) => {
      stderr += piece;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: stdoutReads.join(''), stderr, stdoutReads }));
  });
}

/** Longer words shared by query and passage: a stand-in relevance for the `/rerank` route. */
function overlap(query: string, passage: string): number {
  const words = (text: string) => new Set((text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => w.length > 4));
  const passageWords = words(passage);
  return [...words(query)].filter((word) => passageWords.has(word)).length;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'winnow-examples-'));
  server = await startOpenAIServer({
    embeddingDimensions: 384,
    routes: {
      '/rerank': (body) => {
        const { query, documents } = body as { query: string; documents: string[] };
        return { results: documents.map((document, index) => ({ index, relevance_score: overlap(query, document) })) };
      },
    },
  });
});

afterAll(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('examples/quick-start.ts', () => {
  it('indexes notes into PGlite and prints reranked results', async () => {
    const run = await runExample('quick-start.ts', []);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('indexed 3 documents');
    expect(run.stdout).toMatch(/^1\. backups\.md › Backups › Restoring$/m);
    expect(run.stdout).toMatch(/dense [\d.-]+, lexical [\d.-]+, fused [\d.-]+, rerank [\d.-]+, final [\d.-]+/);
  });
});

describe('examples/custom-stage', () => {
  it('reaches a registered reranker and a registered stage from its YAML configuration', async () => {
    const run = await runExample('custom-stage/custom-stage.ts', []);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('indexed 3 documents');
    expect(run.stdout).toContain('reranker keyword-overlap@4');
    expect(run.stdout).toMatch(/^stages dedupe → rerank → fuse → boost-recent$/m);
    // Both rotation notes share two words with the question; the recent one moves up by its boost.
    const lines = run.stdout.split('\n').filter((line) => /^\d\. /.test(line));
    expect(lines[0]).toMatch(/^1\. rotation-2026\.md \(updated 2026-11-20\): rerank 2, final 2\.9\d\d$/);
    expect(lines[1]).toMatch(/^2\. rotation-2019\.md \(updated 2019-03-01\): rerank 2, final 2\.000$/);
  });

  it('fails naming the field and the known names when a name is not registered', async () => {
    const { openPipeline } = await import('@winnow/assemble');
    const config = await loadConfigFile(join(EXAMPLES, 'custom-stage/winnow.config.yaml'));
    const dir = mkdtempSync(join(tmpdir(), 'winnow-unregistered-'));
    try {
      const error = await openPipeline(config, { baseDir: dir }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'E_CONFIG_INVALID', field: 'rerank.provider' });
      expect((error as Error).message).toContain(
        '"keyword-overlap" is neither built in (none, transformers, http) nor registered (none)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('examples/postgres', () => {
  it('indexes into a server collection, queries with and without a filter, and drops it', async () => {
    const collection = `example_test_${process.pid}`;
    const run = await runExample('postgres/index-and-query.ts', ['--drop'], {
      DATABASE_URL: process.env.DATABASE_URL,
      WINNOW_COLLECTION: collection,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^collection ${collection}: \\d+ added, .*hnsw index built$`, 'm'));
    const filtered = run.stdout.split('the CLI README only')[1] ?? '';
    const hits = [...filtered.matchAll(/^ {2}\d+\. (\S+)/gm)].map((m) => m[1]);
    expect(hits.length).toBeGreaterThan(0);
    expect(new Set(hits)).toEqual(new Set(['packages/cli/README.md']));
    expect(run.stdout).toContain(`dropped collection ${collection}`);
  });

  it('README names the setup script and DATABASE_URL', () => {
    const readme = readFileSync(join(EXAMPLES, 'postgres/README.md'), 'utf8');
    expect(readme).toContain('bash scripts/setup-postgres.sh');
    expect(readme).toContain('export DATABASE_URL');
  });
});

describe('examples/weekly-reindex', () => {
  const dir = join(EXAMPLES, 'weekly-reindex');
  const cronLine = () => {
    const lines = readFileSync(join(dir, 'crontab'), 'utf8').split('\n');
    const jobs = lines.filter((line) => line.trim() !== '' && !line.startsWith('#') && !/^[A-Z_]+=/.test(line));
    expect(jobs).toHaveLength(1);
    const fields = (jobs[0] as string).trim().split(/\s+/);
    return { schedule: fields.slice(0, 5).join(' '), command: fields.slice(5).join(' ') };
  };
  const cronJob = () =>
    parseConfigText(readFileSync(join(dir, 'cronjob.yaml'), 'utf8'), 'cronjob.yaml') as {
      apiVersion: string;
      kind: string;
      spec: {
        schedule: string;
        concurrencyPolicy: string;
        jobTemplate: { spec: { template: { spec: { containers: { command: string[] }[] } } } };
      };
    };

  it('the schedules are valid and agree: Sundays at 03:00', () => {
    const { schedule } = cronLine();
    expect(isValidCronSchedule(schedule)).toBe(true);
    expect(schedule).toBe('0 3 * * 0');
    const job = cronJob();
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'CronJob' });
    expect(isValidCronSchedule(job.spec.schedule)).toBe(true);
    expect(job.spec.schedule).toBe(schedule);
    expect(job.spec.concurrencyPolicy).toBe('Forbid');
    const timer = parseUnitFile(readFileSync(join(dir, 'winnow-reindex.timer'), 'utf8'));
    expect(timer.Timer?.OnCalendar).toBe('Sun *-*-* 03:00:00');
    expect(timer.Install?.WantedBy).toBe('timers.target');
    expect(isValidCronSchedule('61 3 * * 0')).toBe(false);
    expect(isValidCronSchedule('0 3 * *')).toBe(false);
  });

  it('each file runs a valid `winnow reindex --json`', async () => {
    const service = parseUnitFile(readFileSync(join(dir, 'winnow-reindex.service'), 'utf8'));
    expect(service.Service).toMatchObject({ Type: 'oneshot', WorkingDirectory: '/srv/docs' });
    const container = cronJob().spec.jobTemplate.spec.template.spec.containers[0];
    const commands = [
      winnowArgv(cronLine().command),
      winnowArgv(service.Service?.ExecStart ?? ''),
      container?.command.slice(1) ?? [],
    ];
    expect(container?.command[0]).toBe('winnow');
    for (const argv of commands) {
      expect(argv.slice(0, 1)).toEqual(['reindex']);
      const parsed = await parseWinnow(argv);
      expect(parsed.ran).toEqual({ json: true });
      expect(parsed.options.json).toBe(true);
    }
    const k8s = await parseWinnow(container?.command.slice(1) ?? []);
    expect(k8s.operands[0]).toBe('/data/docs');
    expect(k8s.options.config).toBe('/etc/winnow/winnow.config.yaml');
  });

  it("the crontab's command reindexes a folder", async () => {
    const folder = join(work, 'srv-docs');
    copyFiles(MARKDOWN_OLD, folder, ['git.md', 'uninstall.md']);
    writeFileSync(
      join(folder, 'winnow.config.yaml'),
      'ingest:\n  include: ["**/*.md"]\nembed:\n  device: cpu\nrecall:\n  k: 10\n',
    );
    const run = await runCli(winnowArgv(cronLine().command), { cwd: folder });
    expect(run.code, run.stderr).toBe(0);
    expect(parseJsonOutput(run)).toMatchObject({ command: 'reindex', added: 2, failed: 0 });
  });
});

describe('examples/langchain-chain.ts', () => {
  it('runs retriever → prompt → ChatOpenAI against an OpenAI-compatible server', async () => {
    server.reset();
    server.enqueue({ route: '/chat/completions', content: ['Use the crontab', ' or the systemd timer [1].'] });
    const run = await runExample('langchain-chain.ts', [], {
      OPENAI_BASE_URL: server.baseURL,
      OPENAI_MODEL: 'served-model',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('Use the crontab or the systemd timer [1].\n');
    const body = server.requestsTo('/chat/completions')[0]?.body as {
      model: string;
      stream: boolean;
      messages: { role: string; content: string }[];
    };
    expect(body).toMatchObject({ model: 'served-model', stream: true });
    expect(body.messages[1]?.content).toBe('How do I run the reindex every week?');
    expect(body.messages[0]?.content).toContain('weekly-reindex/README.md');
  });
});

describe('examples/vllm', () => {
  const file = join(EXAMPLES, 'vllm/winnow.config.yaml');

  it('the configuration validates', async () => {
    const config = await loadConfigFile(file);
    expect(config.embed).toMatchObject({ provider: 'openai', baseURL: 'http://localhost:8001/v1', dimensions: 384 });
    expect(config.rerank).toMatchObject({ provider: 'http', baseURL: 'http://localhost:8002/v1' });
    expect(config.generate.baseURL).toBe('http://localhost:8000/v1');
  });

  it('index and ask run end to end over the three HTTP back-ends', async () => {
    server.reset();
    const dir = join(work, 'vllm');
    mkdirSync(dir);
    copyFiles(MARKDOWN_OLD, join(dir, 'docs'), ['git.md', 'uninstall.md', 'completion.md']);
    // The same file, with the three servers replaced by the local one.
    writeFileSync(
      join(dir, 'winnow.config.yaml'),
      readFileSync(file, 'utf8').replace(/http:\/\/localhost:800[0-2]\/v1/g, server.baseURL),
    );
    const index = await runCli(['index', 'docs', '--json'], { cwd: dir });
    expect(index.code, index.stderr).toBe(0);
    expect(parseJsonOutput(index)).toMatchObject({ added: 3, failed: 0 });
    const embedded = server.requestsTo('/embeddings').map((r) => r.body as { model: string; input: string[] });
    expect(embedded.length).toBeGreaterThan(0);
    expect(embedded.every((b) => b.model === 'BAAI/bge-small-en-v1.5')).toBe(true);

    server.reset();
    server.enqueue({ route: '/chat/completions', content: ['Remove', ' PNPM_HOME [1].'] });
    const question = 'How do I uninstall pnpm?';
    const ask = await runCli(['ask', question], { cwd: dir });
    expect(ask.code, ask.stderr).toBe(0);
    expect(ask.stdout).toMatch(
      /^Remove PNPM_HOME \[1\]\.\n\nSources\n\[1\] .+ — file:\/\/\S+\/docs\/(git|uninstall|completion)\.md/,
    );

    const [queryEmbedding] = server.requestsTo('/embeddings').map((r) => r.body as { input: string[] });
    expect(queryEmbedding?.input).toEqual([`Represent this sentence for searching relevant passages: ${question}`]);
    const rerank = server.requestsTo('/rerank')[0]?.body as { model: string; query: string; documents: string[] };
    expect(rerank).toMatchObject({ model: 'BAAI/bge-reranker-base', query: question });
    expect(rerank.documents.length).toBeGreaterThan(0);
    const chat = server.requestsTo('/chat/completions')[0]?.body as { model: string; stream: boolean };
    expect(chat).toMatchObject({ model: 'Qwen/Qwen2.5-7B-Instruct', stream: true });
  });
});
