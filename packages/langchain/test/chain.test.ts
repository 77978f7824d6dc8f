/**
 * A real LangChain.js chain over winnow: WinnowRetriever (two-stage retrieval over PGlite with the MiniLM embedder
 * and the cross-encoder) → ChatPromptTemplate → ChatOpenAI (pointed at a local OpenAI-protocol server) →
 * StringOutputParser. The server's recorded request shows that the retrieved chunks reached the model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Document } from '@langchain/core/documents';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnablePassthrough, RunnableSequence } from '@langchain/core/runnables';
import { ChatOpenAI } from '@langchain/openai';
import { type OpenedPipeline, openPipeline } from '@winnow/assemble';
import { type PipelineConfig, parseConfig, type Retriever } from '@winnow/core';
import { folderSource } from '@winnow/ingest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAIServer, startOpenAIServer } from '../../../test/support/openai-server.js';
import { documentToCandidate, WinnowRetriever } from '../src/index.js';
import { copyMarkdown } from './support/corpus.js';

const QUESTION = 'How do I remove pnpm and its global packages?';
let work: string;
let config: PipelineConfig;
let pipeline: OpenedPipeline;
let retriever: Retriever;
let server: OpenAIServer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'winnow-langchain-'));
  copyMarkdown(join(work, 'docs'), ['completion.md', 'docker.md', 'git.md', 'uninstall.md', 'aliases.md']);
  config = parseConfig({
    store: { path: join(work, 'db') },
    embed: { device: 'cpu' },
    recall: { k: 20 },
    rerank: { provider: 'transformers', device: 'cpu', k: 3 },
  });
  pipeline = await openPipeline(config);
  const report = await pipeline.indexer.run(folderSource(join(work, 'docs'), config.ingest));
  expect(report.added).toHaveLength(5);
  retriever = pipeline.retriever;
  server = await startOpenAIServer();
});

afterAll(async () => {
  await server?.close();
  await pipeline?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const formatDocuments = (documents: Document[]) =>
  documents.map((d, i) => `[${i + 1}] ${d.metadata.title ?? ''}\n${d.pageContent}`).join('\n\n');

function buildChain(k?: number) {
  const winnowRetriever = new WinnowRetriever({ retriever, ...(k === undefined ? {} : { k }) });
  const prompt = ChatPromptTemplate.fromMessages([
    ['system', 'Answer the question from these sources only, citing them as [n].\n\n{context}'],
    ['human', '{question}'],
  ]);
  const model = new ChatOpenAI({
    model: 'served-model',
    apiKey: 'sk-test',
    temperature: 0,
    maxRetries: 0,
    configuration: { baseURL: server.baseURL },
  });
  return RunnableSequence.from([
    { context: winnowRetriever.pipe(formatDocuments), question: new RunnablePassthrough() },
    prompt,
    model,
    new StringOutputParser(),
  ]);
}

describe('WinnowRetriever in a LangChain chain', () => {
  it('returns documents with every stage score and the source metadata', async () => {
    const documents = await new WinnowRetriever({ retriever }).invoke(QUESTION);
    expect(documents).toHaveLength(3);
    const [top] = documents;
    expect(top?.metadata.documentId).toBe('uninstall.md');
    expect(top?.metadata.uri).toMatch(/^file:\/\/.+\/docs\/uninstall\.md$/);
    expect(top?.id).toBe(top?.metadata.chunkId);
    for (const [index, document] of documents.entries()) {
      expect(Object.keys(document.metadata.scores)).toEqual(expect.arrayContaining(['dense', 'rerank', 'final']));
      expect(document.metadata.ranks.final).toBe(index + 1);
      // Back to a winnow candidate without loss of what retrieval decided.
      const candidate = documentToCandidate(document, index);
      expect(candidate.chunk.id).toBe(document.metadata.chunkId);
      expect(candidate.scores).toEqual(document.metadata.scores);
      expect(candidate.chunk.headingPath).toEqual(document.metadata.headingPath);
      expect(candidate.document?.uri).toBe(document.metadata.uri);
    }
  });

  it('k overrides the number of documents', async () => {
    expect(await new WinnowRetriever({ retriever, k: 1 }).invoke(QUESTION)).toHaveLength(1);
  });

  it('retriever → prompt → ChatOpenAI → parser: the retrieved chunks reach the model', async () => {
    server.reset();
    server.enqueue({
      route: '/chat/completions',
      content: 'Run pnpm rm -g for each package, then remove PNPM_HOME [1].',
    });
    const expected = await new WinnowRetriever({ retriever }).invoke(QUESTION);
    const answer = await buildChain().invoke(QUESTION);
    expect(answer).toBe('Run pnpm rm -g for each package, then remove PNPM_HOME [1].');

    const [request] = server.requestsTo('/chat/completions');
    const body = request?.body as { model: string; messages: { role: string; content: string }[] };
    expect(body.model).toBe('served-model');
    expect(body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(body.messages[1]?.content).toBe(QUESTION);
    for (const document of expected) expect(body.messages[0]?.content).toContain(document.pageContent);
  });

  it('streams the answer through the chain', async () => {
    server.reset();
    const pieces = ['Remove', ' the global packages', ' first [1].'];
    server.enqueue({ route: '/chat/completions', content: pieces });
    const received: string[] = [];
    for await (const piece of await buildChain(2).stream(QUESTION)) received.push(piece);
    expect(received.join('')).toBe(pieces.join(''));
    expect(received.filter((piece) => piece.length > 0).length).toBeGreaterThan(1);
    const body = server.requestsTo('/chat/completions')[0]?.body as { stream: boolean };
    expect(body.stream).toBe(true);
  });
});
