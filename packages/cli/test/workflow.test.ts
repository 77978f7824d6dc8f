/**
 * The CLI as a user runs it, on embedded PGlite in a temp folder: init → index → query → change, delete and add
 * files → reindex → query again, then ask (with and without a generation endpoint), doctor, a corrupt file (exit 3)
 * and a held lock (exit 4). One indexed folder is shared by the steps, which run in order.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfigFile } from '@winnow/core';
import { openPgVectorStore } from '@winnow/pgvector';
import { REINDEX_LOCK } from '@winnow/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAIServer, startOpenAIServer } from '../../../test/support/openai-server.js';
import { NO_GENERATOR_HINT } from '../src/commands/ask-command.js';
import { copyFiles, MARKDOWN_NEW, MARKDOWN_OLD, parseJsonOutput, runCli, SHARED } from './support/cli.js';

interface IndexSummary {
  command: string;
  added: number;
  changed: number;
  deleted: number;
  unchanged: number;
  failed: number;
  report: {
    added: string[];
    changed: string[];
    deleted: string[];
    failures: { id: string; uri: string; code: string; message: string }[];
  };
  store: { driver: string; collection: string; documents: number; chunks: number };
}

interface QueryOutput {
  query: string;
  recalled: number;
  results: {
    chunkId: string;
    documentId: string;
    uri: string;
    title?: string;
    headingPath: string[];
    scores: Record<string, number>;
    ranks: Record<string, number>;
    text: string;
  }[];
}

const DOCS = ['aliases.md', 'completion.md', 'configuring.md', 'docker.md', 'limitations.md', 'production.md'];
const COMPLETION_QUESTION = 'How do I set up shell completion for pnpm?';

let work: string;
let server: OpenAIServer;
const docs = () => join(work, 'docs');
const cli = (...args: string[]) => runCli(args, { cwd: work });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'winnow-cli-'));
  copyFiles(MARKDOWN_OLD, docs(), DOCS);
  server = await startOpenAIServer();
});

afterAll(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('winnow on embedded PGlite', () => {
  it('init writes a commented, valid config and refuses to overwrite it', async () => {
    const first = await cli('init', '--json');
    expect(first.code).toBe(0);
    const file = join(work, 'winnow.config.yaml');
    expect(parseJsonOutput(first)).toEqual({ command: 'init', file });
    const template = readFileSync(file, 'utf8');
    expect(template).toMatch(/^# winnow configuration/);
    expect((await loadConfigFile(file)).store).toMatchObject({ driver: 'pglite', path: '.winnow/db' });

    const second = await cli('init');
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(file);
    expect(second.stderr).toContain('--force');

    // The template reranks with the MS MARCO cross-encoder. The user's edits: CPU only, the small cross-encoder,
    // fewer candidates (a small corpus).
    expect((await loadConfigFile(file)).rerank).toMatchObject({
      provider: 'transformers',
      model: 'ms-marco-MiniLM-L-12-v2',
    });
    const edited = template
      .replaceAll('device: auto', 'device: cpu')
      .replace(/^ {2}model: ms-marco-MiniLM-L-12-v2\b/m, '  model: ce-minilm-l6-scifact')
      .replace(/^ {2}k: 50$/m, '  k: 20');
    writeFileSync(file, edited);
    const config = await loadConfigFile(file);
    expect(config.rerank).toMatchObject({ provider: 'transformers', model: 'ce-minilm-l6-scifact', device: 'cpu' });
    expect(config.recall.k).toBe(20);
  });

  it('index adds every file of the folder', async () => {
    const run = await cli('index', 'docs', '--json');
    expect(run.code, run.stderr).toBe(0);
    const summary = parseJsonOutput<IndexSummary>(run);
    expect(summary).toMatchObject({ command: 'index', added: 6, changed: 0, deleted: 0, unchanged: 0, failed: 0 });
    expect([...summary.report.added].sort()).toEqual(DOCS);
    expect(summary.store).toMatchObject({ driver: 'pglite', collection: 'winnow', documents: 6 });
    expect(summary.store.chunks).toBeGreaterThan(6);
    expect(existsSync(join(work, '.winnow/db'))).toBe(true);
  });

  it('query --json ranks chunks with every stage score, heading path and uri', async () => {
    const run = await cli('query', COMPLETION_QUESTION, '--json', '-k', '3');
    expect(run.code, run.stderr).toBe(0);
    const output = parseJsonOutput<QueryOutput>(run);
    expect(output.query).toBe(COMPLETION_QUESTION);
    expect(output.recalled).toBeGreaterThan(3);
    expect(output.results).toHaveLength(3);
    const [top] = output.results;
    expect(top?.documentId).toBe('completion.md');
    expect(top?.uri).toBe(pathToFileURL(join(docs(), 'completion.md')).href);
    expect(top?.title).toBeTruthy();
    expect(top?.text.toLowerCase()).toContain('completion');
    for (const [index, result] of output.results.entries()) {
      // Stage 1 (dense and lexical, fused) and stage 2 (the cross-encoder) each leave a score.
      for (const stage of ['dense', 'lexical', 'fused', 'rerank', 'final']) {
        expect(result.scores, `${stage} score of result ${index + 1}`).toHaveProperty(stage);
      }
      expect(result.ranks.final).toBe(index + 1);
      expect(Array.isArray(result.headingPath)).toBe(true);
      expect(result.uri).toMatch(/^file:\/\//);
    }
    const finals = output.results.map((r) => r.scores.final as number);
    expect([...finals].sort((a, b) => b - a)).toEqual(finals);
    // The heading path of a chunk is the document's section it sits in.
    expect(output.results.some((r) => r.headingPath.length > 0)).toBe(true);
  });

  it('reindex adds, updates and deletes to match the folder', async () => {
    cpSync(join(MARKDOWN_NEW, 'production.md'), join(docs(), 'production.md'));
    rmSync(join(docs(), 'limitations.md'));
    cpSync(join(MARKDOWN_NEW, 'supply-chain-security.md'), join(docs(), 'supply-chain-security.md'));

    const run = await cli('reindex', 'docs', '--json');
    expect(run.code, run.stderr).toBe(0);
    const summary = parseJsonOutput<IndexSummary>(run);
    expect(summary).toMatchObject({ command: 'reindex', added: 1, changed: 1, deleted: 1, unchanged: 4, failed: 0 });
    expect(summary.report).toMatchObject({
      added: ['supply-chain-security.md'],
      changed: ['production.md'],
      deleted: ['limitations.md'],
    });
    expect(summary.store.documents).toBe(6);
  });

  it('query finds the new content after the reindex', async () => {
    const run = await cli(
      'query',
      'How can pnpm reduce the risk of installing compromised packages with malware?',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const output = parseJsonOutput<QueryOutput>(run);
    expect(output.results[0]?.documentId).toBe('supply-chain-security.md');
    expect(output.results[0]?.text).toContain('compromised');
    expect(output.results.map((r) => r.documentId)).not.toContain('limitations.md');
  });

  it('ask without a generation endpoint prints the sources and how to configure one', async () => {
    const run = await cli('ask', COMPLETION_QUESTION);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(NO_GENERATOR_HINT);
    expect(run.stdout).toMatch(/^1\. file:\/\/\S+\/docs\/completion\.md/);
    expect(run.stdout).toContain('rerank ');
  });

  it('ask streams the answer from an OpenAI-compatible endpoint, then lists the cited sources', async () => {
    const pieces = ['Run', ' `pnpm completion bash`', ' and add its output', ' to your shell profile [1].'];
    server.enqueue({ route: '/chat/completions', content: pieces, chunkDelayMs: 40 });
    const run = await runCli(['ask', COMPLETION_QUESTION], {
      cwd: work,
      env: { OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: 'sk-test' },
    });
    expect(run.code, run.stderr).toBe(0);
    const [answerPart, sourcesPart] = run.stdout.split('\n\nSources\n');
    expect(answerPart).toBe(pieces.join(''));
    // The answer reached stdout in several reads, as the pieces arrived.
    const readsBeforeSources = run.stdoutReads.findIndex((read) => read.includes('Sources'));
    expect(readsBeforeSources).toBeGreaterThan(1);
    expect(sourcesPart).toMatch(/^\[1\] .+ — file:\/\/\S+\/docs\/completion\.md/);

    const [request] = server.requestsTo('/chat/completions');
    const body = request?.body as { stream: boolean; messages: { role: string; content: string }[] };
    expect(request?.headers.authorization).toBe('Bearer sk-test');
    expect(body.stream).toBe(true);
    const prompt = body.messages.map((m) => m.content).join('\n');
    expect(prompt).toContain(COMPLETION_QUESTION);
    expect(prompt).toContain('pnpm completion');
  });

  // Issue 16 case 8: a hanging endpoint held `ask` for ~275 s (4 attempts × 60 s plus backoff) before exit 8.
  it('ask against an endpoint that never answers stops at generate.deadlineMs with exit 8, naming the setting', async () => {
    const config = readFileSync(join(work, 'winnow.config.yaml'), 'utf8');
    // Each attempt would wait 30 s and be retried 3 times; the 1.5 s total deadline ends it first.
    const hanging = config.replace(/^( {2}timeoutMs:) \d+/m, '$1 30000').replace(/^( {2}deadlineMs:) \d+/m, '$1 1500');
    expect(hanging).toMatch(/^ {2}deadlineMs: 1500/m);
    writeFileSync(join(work, 'hanging.config.yaml'), hanging);
    server.enqueue(...Array.from({ length: 4 }, () => ({ route: '/chat/completions', delayMs: 60_000 })));
    const run = await runCli(['ask', COMPLETION_QUESTION, '--config', 'hanging.config.yaml'], {
      cwd: work,
      env: { OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: 'sk-test' },
    });
    expect(run.code, run.stderr).toBe(8);
    expect(run.stderr).toMatch(/generate\.deadlineMs/);
    expect(run.stderr).toMatch(/1500 ms/);
  });

  it('doctor passes on this setup', async () => {
    const run = await cli('doctor', '--json');
    expect(run.code, run.stdout).toBe(0);
    const report = parseJsonOutput<{ ok: boolean; checks: { name: string; ok: boolean; detail: string }[] }>(run);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual([
      'config',
      'database',
      'embedding model',
      'execution providers',
      'embedding',
      'reranker',
      'generation',
    ]);
    expect(report.checks.find((c) => c.name === 'database')?.detail).toMatch(/pgvector \d+\.\d+/);
    expect(report.checks.find((c) => c.name === 'execution providers')?.detail).toMatch(
      /^onnxruntime-node \d+\.\d+\.\d+ on .*cpu opens$/,
    );
    // Which device each model runs on (the CPU here; a GPU where one opens).
    expect(report.checks.find((c) => c.name === 'embedding')?.detail).toMatch(/384 dimensions.*, device \w+$/);
    expect(report.checks.find((c) => c.name === 'reranker')?.detail).toMatch(/, device \w+$/);
  });

  it('a corrupt PDF is reported and the other files stay indexed (exit 3)', async () => {
    cpSync(join(SHARED, 'corpora/pdf/corrupt-header-eof-only.pdf'), join(docs(), 'broken.pdf'));
    const run = await cli('index', 'docs', '--json');
    expect(run.code, run.stderr).toBe(3);
    const summary = parseJsonOutput<IndexSummary>(run);
    expect(summary).toMatchObject({ added: 0, changed: 0, unchanged: 6, failed: 1 });
    expect(summary.report.failures[0]).toMatchObject({ id: 'broken.pdf', code: 'E_PDF_CORRUPT' });
    expect(summary.report.failures[0]?.message).toContain('broken.pdf');

    rmSync(join(docs(), 'broken.pdf'));
  });

  it('a reindex while another run holds the lock exits 4 at once', async () => {
    const store = await openPgVectorStore({ driver: 'pglite', path: join(work, '.winnow/db'), collection: 'winnow' });
    try {
      const run = await store.withLock(REINDEX_LOCK, () => cli('reindex', 'docs', '--json'), { wait: false });
      expect(run.code).toBe(4);
      const output = parseJsonOutput<{ error: { code: string; message: string } }>(run);
      expect(output.error.code).toBe('E_LOCKED');
      expect(output.error.message).toContain(join(work, '.winnow/db'));
    } finally {
      await store.close();
    }
  });
});
