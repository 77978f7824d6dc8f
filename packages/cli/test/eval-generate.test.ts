/**
 * `winnow eval --generate` end to end on some of this repository's own READMEs: index them, generate questions
 * through the local OpenAI-protocol server with a deterministic fake model, write a BEIR dataset, then score it
 * with `winnow eval` at document and chunk level. Only the model is fake; embedder, store and harness are real.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wordsOf } from '@winnow/prompt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatRequestBody, type OpenAIServer, startOpenAIServer } from '../../../test/support/openai-server.js';
import { EXIT } from '../src/exit-codes.js';
import { copyFiles, parseJsonOutput, REPO_ROOT, runCli, testConfigYaml } from './support/cli.js';

const READMES = [
  'packages/pipeline/README.md',
  'packages/assemble/README.md',
  'packages/core/README.md',
  'packages/langchain/README.md',
];

/**
 * The fake model: first a question that copies nine words of the passage (the filter must drop it), then
 * questions built from the passage's longest words, two per question: deterministic, and answerable by retrieval.
 */
function fakeQuestions(request: ChatRequestBody): string {
  const user = String(request.messages?.find((m) => m.role === 'user')?.content ?? '');
  const passage = /"""\n([\s\S]*?)\n"""/.exec(user)?.[1] ?? '';
  const count = Number(/Write (\d+) different/.exec(user)?.[1] ?? 1);
  const words = wordsOf(passage);
  const long = [...new Set(words)].sort((a, b) => b.length - a.length || a.localeCompare(b));
  const lines = [`Is it true that ${words.slice(0, 9).join(' ')}?`];
  for (let i = 0; i < count; i++) lines.push(`${i + 1}. How is ${long[2 * i]} related to ${long[2 * i + 1]}?`);
  return lines.join('\n');
}

let work: string;
let server: OpenAIServer;
/** The first generation, made once for every test (the second test scores what it wrote). */
let generated: Awaited<ReturnType<typeof runCli>>;
const GENERATE = ['eval', '--generate', '--config', 'winnow.config.yaml', '--chunks', '8', '--questions', '2'];
const cli = (args: string[]) => runCli(args, { cwd: work });

interface Summary {
  documents: number;
  chunksSampled: number;
  questionsAsked: number;
  questionsKept: number;
  dropped: { quotingTheChunk: number; missing: number };
  tokens: { sent: number; received: number; repliesWithoutUsage: number };
  promptVersion: string;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'winnow-eval-generate-'));
  server = await startOpenAIServer({ chat: fakeQuestions });
  copyFiles(REPO_ROOT, join(work, 'docs'), READMES);
  writeFileSync(
    join(work, 'winnow.config.yaml'),
    `${testConfigYaml({ rerank: false })}generate:\n  baseURL: ${server.baseURL}\n  model: fake-question-model\n`,
  );
  const indexed = await cli(['index', 'docs']);
  expect(indexed.code, indexed.stderr).toBe(EXIT.ok);
  generated = await cli([...GENERATE, '--dataset', 'generated', '--json']);
}, 180_000);

afterAll(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('winnow eval --generate', () => {
  it('writes a BEIR dataset of questions from chunks sampled across documents, and prints the tokens', async () => {
    const run = generated;
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const summary = parseJsonOutput<Summary>(run);
    const chats = server.requestsTo('/chat/completions');
    expect(chats).toHaveLength(8);
    expect(summary).toMatchObject({ documents: 4, chunksSampled: 8, questionsAsked: 16, questionsKept: 16 });
    // Each reply's copied line shares nine words with its chunk: all eight dropped.
    expect(summary.dropped).toEqual({ quotingTheChunk: 8, missing: 0 });
    expect(summary.promptVersion).toBe('questions-v1');
    expect(summary.tokens.sent).toBeGreaterThan(0);
    expect(summary.tokens.received).toBeGreaterThan(0);

    const read = (file: string) =>
      readFileSync(join(work, 'generated', file), 'utf8')
        .trim()
        .split('\n');
    const corpus = read('corpus.jsonl').map((l) => JSON.parse(l) as { _id: string; text: string });
    expect(corpus.map((d) => d._id).sort()).toEqual([...READMES].sort());
    const queries = read('queries.jsonl').map(
      (l) =>
        JSON.parse(l) as {
          _id: string;
          text: string;
          metadata: { sourceChunk: { id: string; documentId: string; text: string } };
        },
    );
    expect(queries).toHaveLength(16);
    const [header, ...qrels] = read('qrels/test.tsv');
    expect(header).toBe('query-id\tcorpus-id\tscore');
    for (const [i, q] of queries.entries()) {
      const source = q.metadata.sourceChunk;
      expect(qrels[i]).toBe(`${q._id}\t${source.documentId}\t1`);
      // The chunk is a part of its document's text in the corpus, and no kept question quotes it.
      expect(corpus.find((d) => d._id === source.documentId)?.text).toContain(source.text.slice(0, 200));
      expect(q.text.startsWith('Is it true')).toBe(false);
    }
    // Stratified: 8 chunks from 4 documents, two each.
    const perDocument = new Map<string, Set<string>>();
    for (const q of queries) {
      const { documentId, id } = q.metadata.sourceChunk;
      perDocument.set(documentId, (perDocument.get(documentId) ?? new Set()).add(id));
    }
    expect([...perDocument.values()].map((s) => s.size)).toEqual([2, 2, 2, 2]);

    // The same seed samples the same chunks; the printed summary names the tokens.
    const again = await cli([...GENERATE, '--dataset', 'generated-again']);
    expect(again.code, again.stderr).toBe(EXIT.ok);
    expect(again.stdout).toContain(`tokens sent ${summary.tokens.sent}, received ${summary.tokens.received}`);
    expect(readFileSync(join(work, 'generated-again/queries.jsonl'), 'utf8')).toBe(
      readFileSync(join(work, 'generated/queries.jsonl'), 'utf8'),
    );
  }, 120_000);

  it('is scored by winnow eval like any BEIR folder, with chunk-level hit rate and MRR', async () => {
    writeFileSync(
      join(work, 'dense.yaml'),
      'name: dense\nembed:\n  device: cpu\nrecall:\n  mode: dense\n  k: 20\nrerank:\n  provider: none\n',
    );
    const run = await cli(['eval', '--dataset', 'generated', '--config', 'dense.yaml', '--out', 'gen-out']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const results = JSON.parse(readFileSync(join(work, 'gen-out/results.json'), 'utf8')) as {
      queries: number;
      configurations: Record<string, number>[];
    };
    expect(results.queries).toBe(16);
    const [dense] = results.configurations as [Record<string, number>];
    for (const m of ['chunk-hit@10', 'chunk-mrr@10', 'hit@10', 'mrr@10']) {
      expect(dense[m], m).toBeGreaterThan(0);
      expect(dense[m], m).toBeLessThanOrEqual(1);
    }
    // Finding the source chunk implies finding its document.
    expect(dense['chunk-hit@10']).toBeLessThanOrEqual(dense['hit@10'] as number);
    expect(dense['chunk-mrr@10']).toBeLessThanOrEqual(dense['mrr@10'] as number);
    expect(run.stdout).toMatch(/source chunk: hit@10 [01]\.\d{4}, MRR@10 [01]\.\d{4}/);
    const report = readFileSync(join(work, 'gen-out/report.html'), 'utf8');
    const row = /<table id="chunk-level">.*?<tr data-config="dense">(.*?)<\/tr>/s.exec(report)?.[1] ?? '';
    expect(row).toContain(`<td data-measure="chunk-hit@10">${dense['chunk-hit@10']?.toFixed(4)}</td>`);
    expect(row).toContain(`<td data-measure="hit@10">${dense['hit@10']?.toFixed(4)}</td>`);
  }, 180_000);

  it('refuses a non-empty output folder and a collection without a generator, naming the setting', async () => {
    mkdirSync(join(work, 'full'), { recursive: true });
    writeFileSync(join(work, 'full/keep.txt'), 'x');
    const full = await cli(['eval', '--generate', '--config', 'winnow.config.yaml', '--dataset', 'full', '--json']);
    expect(full.code).toBe(EXIT.usage);
    expect(parseJsonOutput<{ error: { field: string } }>(full).error.field).toBe('--dataset');
    writeFileSync(join(work, 'no-generator.yaml'), testConfigYaml({ rerank: false }));
    const none = await cli(['eval', '--generate', '--config', 'no-generator.yaml', '--dataset', 'x', '--json']);
    expect(none.code).toBe(EXIT.usage);
    expect(parseJsonOutput<{ error: { field: string } }>(none).error.field).toBe('generate.baseURL');
  }, 60_000);
});
