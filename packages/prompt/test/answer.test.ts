import type { ChatMessage, Generator } from '@winnow/core';
import { isWinnowError } from '@winnow/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChatRequestBody, type OpenAIServer, startOpenAIServer } from '../../../test/support/openai-server.js';
import {
  type Answer,
  type AnswerEvent,
  answer,
  countChatTokens,
  createContextBuilder,
  createTiktokenCounter,
  OpenAIGenerator,
  streamAnswer,
} from '../src/index.js';
import { candidate, prose } from './candidates.js';

const counter = createTiktokenCounter('gpt-4o-mini');
const question = 'How do I install winnow on Linux?';
const candidates = [
  candidate({
    documentId: 'manual',
    ordinal: 2,
    text: 'Install winnow with pnpm add winnow.',
    headingPath: ['Guide', 'Install', 'Linux'],
    provenance: { page: 3 },
    document: { title: 'Admin Manual', uri: 'file:///docs/manual.pdf' },
  }),
  candidate({ documentId: 'faq', text: 'Node 20 or later is required.', document: { title: 'FAQ' } }),
  candidate({ documentId: 'huge', text: prose(2500), document: { title: 'Appendix' } }),
  candidate({ documentId: 'notes', text: 'Release notes mention Linux packages.', document: { title: 'Notes' } }),
];

let server: OpenAIServer;
const contextBuilder = createContextBuilder({ tokenCounter: counter, contextWindow: 1200, answerTokens: 200 });

beforeAll(async () => {
  server = await startOpenAIServer({ apiKey: 'sk-answer' });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.reset();
});

const generator = (options: { timeoutMs?: number } = {}) =>
  new OpenAIGenerator({ model: 'gpt-4o-mini', baseURL: server.baseURL, apiKey: 'sk-answer', env: {}, ...options });

function recordedMessages(): ChatMessage[] {
  const body = server.requestsTo('/chat/completions')[0]?.body as ChatRequestBody | undefined;
  return (body?.messages ?? []) as ChatMessage[];
}

describe('answer', () => {
  it('sends the packed prompt and resolves the citations of the answer', async () => {
    server.enqueue({
      content: 'Run pnpm add winnow [1], on Node 20 [2][9].',
      usage: { prompt_tokens: 321, completion_tokens: 14 },
    });
    const result = await answer({ question, candidates, contextBuilder, generator: generator() });

    // Exactly the messages the context builder produced, and within its budget by the same counter.
    const sent = recordedMessages();
    const built = await contextBuilder.build(question, candidates);
    expect(sent).toEqual(built.messages);
    expect(countChatTokens(sent, counter)).toBe(result.promptTokens);
    expect(result.promptTokens).toBeLessThanOrEqual(1200 - 200);
    expect(result.dropped).toBe(1);
    const [system, user] = sent;
    expect(system?.role).toBe('system');
    expect(system?.content).toMatch(/untrusted data/);
    expect(user?.content).toContain(
      '<source id="1" title="Admin Manual" location="p. 3 · Guide › Install › Linux" uri="file:///docs/manual.pdf">\nInstall winnow with pnpm add winnow.\n</source>',
    );
    expect(user?.content).toContain('<source id="2" title="FAQ"');
    expect(user?.content).toContain('<source id="3" title="Notes"');
    expect(user?.content).not.toContain('Appendix');
    // The answer may not outgrow the room the prompt left: min(generator 1024, answerTokens 200).
    expect(server.requests[0]?.body).toMatchObject({ model: 'gpt-4o-mini', max_tokens: 200, temperature: 0 });

    expect(result.text).toBe('Run pnpm add winnow [1], on Node 20 [2][9].');
    expect(result.sources.map((source) => source.label)).toEqual([1, 2, 3]);
    expect(result.citations).toHaveLength(2);
    expect(result.citations[0]).toMatchObject({
      label: 1,
      documentId: 'manual',
      uri: 'file:///docs/manual.pdf',
      title: 'Admin Manual',
      page: 3,
      headingPath: ['Guide', 'Install', 'Linux'],
      chunkIds: ['manual#2'],
    });
    expect(result.citations[1]).toMatchObject({ label: 2, documentId: 'faq', title: 'FAQ' });
    expect(result.invalidCitations).toEqual([9]);
    expect(result.usage).toEqual({ promptTokens: 321, completionTokens: 14 });
    expect(result.finishReason).toBe('stop');
  });

  it('reports an answer without citations as citing nothing', async () => {
    server.enqueue({ content: 'The provided sources do not contain the answer.' });
    const result = await answer({
      question: 'What is the capital of Mars?',
      candidates,
      contextBuilder,
      generator: generator(),
    });
    expect(result.citations).toEqual([]);
    expect(result.invalidCitations).toEqual([]);
  });

  it('passes generator failures through as WinnowErrors', async () => {
    const error = await answer({
      question,
      candidates,
      contextBuilder,
      generator: new OpenAIGenerator({ model: 'm', baseURL: server.baseURL, apiKey: 'bad', env: {} }),
    }).catch((caught: unknown) => caught);
    expect(isWinnowError(error, 'E_AUTH')).toBe(true);
  });
});

describe('streamAnswer', () => {
  async function events(iterable: AsyncIterable<AnswerEvent>): Promise<AnswerEvent[]> {
    const out: AnswerEvent[] = [];
    for await (const event of iterable) out.push(event);
    return out;
  }

  it('yields the sources, the deltas from the SSE chunks, then the answer', async () => {
    server.enqueue({
      content: ['Use ', 'pnpm', ' [1]', '; see [3].'],
      usage: { prompt_tokens: 300, completion_tokens: 4 },
    });
    const all = await events(streamAnswer({ question, candidates, contextBuilder, generator: generator() }));
    const [first, ...rest] = all;
    expect(first).toMatchObject({ type: 'context', dropped: 1 });
    expect(first?.type === 'context' && first.sources.map((source) => source.title)).toEqual([
      'Admin Manual',
      'FAQ',
      'Notes',
    ]);
    const deltas = rest.filter((event) => event.type === 'delta').map((event) => event.text);
    expect(deltas).toEqual(['Use ', 'pnpm', ' [1]', '; see [3].']);
    const done = rest.at(-1);
    expect(done?.type).toBe('done');
    const result = (done as { answer: Answer }).answer;
    expect(result.text).toBe('Use pnpm [1]; see [3].');
    expect(result.citations.map((source) => source.documentId)).toEqual(['manual', 'notes']);
    expect(result.usage).toEqual({ promptTokens: 300, completionTokens: 4 });
    expect(server.requests[0]?.body).toMatchObject({ stream: true });
    expect(countChatTokens(recordedMessages(), counter)).toBe(result.promptTokens);
  });

  it('works with any Generator that only streams text', async () => {
    const inner = generator();
    const plain: Generator = {
      model: inner.model,
      generate: (messages, options) => inner.generate(messages, options),
      stream: (messages, options) => inner.stream(messages, options),
    };
    server.enqueue({ content: 'Plain [2].' });
    const all = await events(streamAnswer({ question, candidates, contextBuilder, generator: plain }));
    const done = all.at(-1) as { answer: Answer };
    expect(done.answer.text).toBe('Plain [2].');
    expect(done.answer.citations.map((source) => source.label)).toEqual([2]);
    expect(done.answer.usage).toBeUndefined();
  });

  it('stops with E_ABORTED when aborted mid-stream', async () => {
    server.enqueue({ content: ['one', ' two', ' three', ' four'], stallAfterChunks: 2 });
    const controller = new AbortController();
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of streamAnswer({
        question,
        candidates,
        contextBuilder,
        generator: generator(),
        signal: controller.signal,
      })) {
        if (event.type === 'delta') seen.push(event.text);
        if (seen.length === 2) controller.abort();
      }
    })().catch((caught: unknown) => caught);
    expect(isWinnowError(error, 'E_ABORTED')).toBe(true);
    expect(seen).toEqual(['one', ' two']);
  });
});
