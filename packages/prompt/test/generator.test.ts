import { isWinnowError, type WinnowError } from '@winnow/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAIServer, startOpenAIServer } from '../../../test/support/openai-server.js';
import { OpenAIGenerator, type OpenAIGeneratorOptions } from '../src/index.js';

const messages = [
  { role: 'system' as const, content: 'Be brief.' },
  { role: 'user' as const, content: 'Say hello.' },
];

let server: OpenAIServer;

beforeAll(async () => {
  server = await startOpenAIServer({ apiKey: 'sk-test-key' });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.reset();
});

function generator(options: Partial<OpenAIGeneratorOptions> = {}): OpenAIGenerator {
  return new OpenAIGenerator({
    model: 'served-model',
    baseURL: server.baseURL,
    apiKey: 'sk-test-key',
    timeoutMs: 5_000,
    maxRetries: 2,
    env: {},
    ...options,
  });
}

async function failure(run: () => Promise<unknown>): Promise<WinnowError> {
  try {
    await run();
  } catch (error) {
    if (isWinnowError(error)) return error;
    throw error;
  }
  return expect.unreachable('expected a WinnowError');
}

async function collect(iterable: AsyncIterable<string>, into: string[] = []): Promise<string[]> {
  for await (const text of iterable) into.push(text);
  return into;
}

describe('OpenAIGenerator.generate', () => {
  it('sends the messages and settings, and returns text, finish reason and usage', async () => {
    server.enqueue({ content: 'Hello there.', usage: { prompt_tokens: 21, completion_tokens: 3 } });
    const result = await generator({ temperature: 0.2, maxTokens: 77 }).generate(messages);
    expect(result).toEqual({
      text: 'Hello there.',
      finishReason: 'stop',
      usage: { promptTokens: 21, completionTokens: 3 },
    });
    const [request] = server.requestsTo('/chat/completions');
    expect(request?.headers.authorization).toBe('Bearer sk-test-key');
    expect(request?.body).toEqual({ model: 'served-model', messages, temperature: 0.2, max_tokens: 77 });
  });

  it('lets a call override temperature and max tokens', async () => {
    await generator().generate(messages, { temperature: 1, maxTokens: 5 });
    expect(server.requests[0]?.body).toMatchObject({ temperature: 1, max_tokens: 5 });
  });

  it('retries 500 and 429 answers, obeying Retry-After', async () => {
    server.enqueue(
      { status: 500, headers: { 'retry-after': '0' } },
      { status: 429, headers: { 'retry-after': '0' } },
      { content: 'Third time.' },
    );
    const result = await generator().generate(messages);
    expect(result.text).toBe('Third time.');
    expect(server.requestsTo('/chat/completions')).toHaveLength(3);
  });

  it('gives E_RATE_LIMITED when 429 outlasts the retries', async () => {
    const limited = { status: 429, headers: { 'retry-after-ms': '5' } };
    server.enqueue(limited, limited, limited);
    const error = await failure(() => generator().generate(messages));
    expect(error.code).toBe('E_RATE_LIMITED');
    expect(error.message).toContain(server.baseURL);
    expect(error.message).toMatch(/after 2 retries: Rate limit reached/);
    expect(server.requests).toHaveLength(3);
  });

  it('gives E_HTTP with the status for other failures, without retrying client errors', async () => {
    server.enqueue({ status: 400, error: { message: 'messages[1].content is too long', param: 'messages' } });
    const error = await failure(() => generator().generate(messages));
    expect(error.code).toBe('E_HTTP');
    expect(error.details).toMatchObject({ status: 400 });
    expect(error.message).toMatch(/HTTP 400 .*messages\[1\]\.content is too long/);
    expect(server.requests).toHaveLength(1);

    const broken = { status: 503, headers: { 'retry-after': '0' } };
    server.enqueue(broken, broken, broken);
    const unavailable = await failure(() => generator().generate(messages));
    expect(unavailable.code).toBe('E_HTTP');
    expect(unavailable.details).toMatchObject({ status: 503 });
  });

  it('surfaces a bad API key as E_AUTH naming the endpoint and OPENAI_API_KEY, without retrying', async () => {
    const error = await failure(() => generator({ apiKey: 'sk-wrong-key-1234' }).generate(messages));
    expect(error.code).toBe('E_AUTH');
    expect(error.setting).toBe('OPENAI_API_KEY');
    expect(error.message).toContain(server.baseURL);
    expect(error.message).toMatch(/HTTP 401.*Incorrect API key provided: sk-\*{5}1234/);
    expect(error.hint).toMatch(/check OPENAI_API_KEY or generate\.apiKey/);
    expect(server.requests).toHaveLength(1);
  });

  it('times out a silent server with E_TIMEOUT after retrying', async () => {
    server.enqueue({ delayMs: 30_000 }, { delayMs: 30_000 });
    const error = await failure(() => generator({ timeoutMs: 300, maxRetries: 1 }).generate(messages));
    expect(error.code).toBe('E_TIMEOUT');
    expect(error.setting).toBe('generate.timeoutMs');
    expect(server.requests).toHaveLength(2);
  });

  it('aborts while waiting out a Retry-After, with E_ABORTED and no second attempt', async () => {
    // Without Retry-After the client would retry within 0.5 s; it must wait the 30 s it was told.
    server.enqueue({ status: 429, headers: { 'retry-after': '30' } });
    const error = await failure(() => generator().generate(messages, { signal: AbortSignal.timeout(1_500) }));
    expect(error.code).toBe('E_ABORTED');
    expect(server.requests).toHaveLength(1);
  });

  it('refuses an already aborted signal before sending', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await failure(() => generator().generate(messages, { signal: controller.signal }));
    expect(error.code).toBe('E_ABORTED');
    expect(server.requests).toHaveLength(0);
  });
});

describe('OpenAIGenerator.stream', () => {
  it('assembles the text from SSE chunks and reports usage at the end', async () => {
    server.enqueue({ content: ['Hel', 'lo', ', wor', 'ld [1].'], usage: { prompt_tokens: 30, completion_tokens: 4 } });
    const events = [];
    for await (const event of generator().streamEvents(messages)) events.push(event);
    expect(events).toEqual([
      { type: 'delta', text: 'Hel' },
      { type: 'delta', text: 'lo' },
      { type: 'delta', text: ', wor' },
      { type: 'delta', text: 'ld [1].' },
      { type: 'end', finishReason: 'stop', usage: { promptTokens: 30, completionTokens: 4 } },
    ]);
    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('yields plain text deltas from stream()', async () => {
    server.enqueue({ content: 'One two three' });
    expect((await collect(generator().stream(messages))).join('')).toBe('One two three');
  });

  it('retries before the stream starts', async () => {
    server.enqueue({ status: 502, headers: { 'retry-after': '0' } }, { content: 'Recovered.' });
    expect((await collect(generator().stream(messages))).join('')).toBe('Recovered.');
    expect(server.requests).toHaveLength(2);
  });

  it('aborts mid-stream with E_ABORTED, keeping what arrived', async () => {
    server.enqueue({ content: ['a', 'b', 'c', 'd'], stallAfterChunks: 2 });
    const controller = new AbortController();
    const received: string[] = [];
    const error = await failure(async () => {
      for await (const text of generator().stream(messages, { signal: controller.signal })) {
        received.push(text);
        if (received.length === 2) controller.abort();
      }
    });
    expect(error.code).toBe('E_ABORTED');
    expect(received).toEqual(['a', 'b']);
  });

  it('times out a stream that goes silent with E_TIMEOUT', async () => {
    server.enqueue({ content: ['a', 'b', 'c'], stallAfterChunks: 1 });
    const received: string[] = [];
    const error = await failure(() => collect(generator({ timeoutMs: 300 }).stream(messages), received));
    expect(error.code).toBe('E_TIMEOUT');
    expect(error.message).toMatch(/sent nothing for 300 ms mid-stream/);
    expect(received).toEqual(['a']);
  });

  it('reports a connection cut mid-stream as E_HTTP', async () => {
    server.enqueue({ content: ['a', 'b', 'c'], dropAfterChunks: 2 });
    const error = await failure(() => collect(generator().stream(messages)));
    expect(error.code).toBe('E_HTTP');
  });

  it('surfaces a bad API key on a stream as E_AUTH', async () => {
    const error = await failure(() => collect(generator({ apiKey: 'nope' }).stream(messages)));
    expect(error.code).toBe('E_AUTH');
  });
});

describe('OpenAIGenerator settings', () => {
  it('sends the key EMPTY to a self-hosted server when no key is set', async () => {
    const open = await startOpenAIServer();
    try {
      await new OpenAIGenerator({ model: 'm', baseURL: open.baseURL, env: {} }).generate(messages);
      expect(open.requests[0]?.headers.authorization).toBe('Bearer EMPTY');
    } finally {
      await open.close();
    }
  });

  it('reads OPENAI_API_KEY and OPENAI_BASE_URL from the environment', async () => {
    const fromEnv = new OpenAIGenerator({
      model: 'm',
      env: { OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: `${server.baseURL}/` },
    });
    expect(fromEnv.baseURL).toBe(server.baseURL);
    await fromEnv.generate(messages);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-test-key');
  });

  it('needs a key for OpenAI itself, and uses max_completion_tokens there', () => {
    expect(() => new OpenAIGenerator({ model: 'gpt-4o-mini', env: {} })).toThrow(
      /E_CONFIG_INVALID: setting OPENAI_API_KEY: no API key for https:\/\/api\.openai\.com\/v1/,
    );
    expect(() => new OpenAIGenerator({ model: ' ', baseURL: server.baseURL })).toThrow(/field generate\.model/);
  });

  it('can send max_completion_tokens to any server', async () => {
    await generator({ maxTokensField: 'max_completion_tokens', maxTokens: 9 }).generate(messages);
    expect(server.requests[0]?.body).toMatchObject({ max_completion_tokens: 9 });
    expect(server.requests[0]?.body).not.toHaveProperty('max_tokens');
  });
});

// A hanging endpoint used to hold `ask` for ~275 s by default: 4 attempts × timeoutMs plus backoff (#16).
describe('OpenAIGenerator deadlineMs', () => {
  const hang = () => server.enqueue(...Array.from({ length: 4 }, () => ({ delayMs: 30_000 })));

  it('ends generate() at the total deadline, naming generate.deadlineMs', async () => {
    hang();
    const started = Date.now();
    const error = await failure(() =>
      generator({ timeoutMs: 5_000, maxRetries: 3, deadlineMs: 400 }).generate(messages),
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error.code).toBe('E_TIMEOUT');
    expect(error.setting).toBe('generate.deadlineMs');
    expect(error.message).toMatch(/within 400 ms/);
    expect(error.hint).toMatch(/raise generate\.deadlineMs/);
  });

  it('ends a stream that never starts at the deadline, across retries', async () => {
    hang();
    const started = Date.now();
    // Attempts time out after 150 ms each, so the deadline falls during a later attempt or a retry pause.
    const error = await failure(() =>
      collect(generator({ timeoutMs: 150, maxRetries: 3, deadlineMs: 1_000 }).stream(messages)),
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error.code).toBe('E_TIMEOUT');
    expect(error.setting).toBe('generate.deadlineMs');
    expect(server.requestsTo('/chat/completions').length).toBeGreaterThan(1);
  });

  it('does not cut an answer that has started streaming', async () => {
    server.enqueue({ content: ['a', 'b', 'c', 'd', 'e'], chunkDelayMs: 150 });
    const pieces = await collect(generator({ deadlineMs: 300 }).stream(messages));
    expect(pieces.join('')).toBe('abcde');
  });

  it('refuses a deadline that is not positive', () => {
    expect(() => generator({ deadlineMs: 0 })).toThrow(/generate\.deadlineMs/);
  });
});
