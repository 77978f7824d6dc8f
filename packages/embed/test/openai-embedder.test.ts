import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isWinnowError } from '@winnow/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAICompatibleEmbedder, type OpenAICompatibleEmbedderOptions } from '../src/index.js';

/**
 * A local server speaking the OpenAI embeddings protocol: POST /v1/embeddings {model, input[], encoding_format}
 * → {object: 'list', data: [{object: 'embedding', index, embedding}], model, usage}. Its vectors encode the
 * input text so tests can check order. `script` decides, per request, to fail or to answer.
 */
interface Recorded {
  authorization: string | undefined;
  body: { model: string; input: string[]; encoding_format?: string; dimensions?: number };
}
type Script = (request: Recorded, response: ServerResponse, count: number) => boolean;

const DIMENSIONS = 4;
let recorded: Recorded[] = [];
let script: Script = () => false;
let baseURL = '';

/** A text's vector: [length, first char code, 1, 2], so a test can tell texts apart. */
const vectorOf = (text: string) => [text.length, text.charCodeAt(0), 1, 2];

function answer(response: ServerResponse, body: Recorded['body']): void {
  const data = body.input.map((text, index) => {
    const values = vectorOf(text);
    const embedding =
      body.encoding_format === 'base64' ? Buffer.from(new Float32Array(values).buffer).toString('base64') : values;
    return { object: 'embedding', index, embedding };
  });
  // Servers may answer out of order; index says where each belongs.
  data.reverse();
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({
      object: 'list',
      data,
      model: body.model,
      usage: { prompt_tokens: body.input.length * 3, total_tokens: body.input.length * 3 },
    }),
  );
}

const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  let raw = '';
  request.on('data', (part: Buffer) => {
    raw += part.toString('utf8');
  });
  request.on('end', () => {
    const entry: Recorded = { authorization: request.headers.authorization, body: JSON.parse(raw) };
    recorded.push(entry);
    if (request.url !== '/v1/embeddings') {
      response.writeHead(404).end();
      return;
    }
    if (!script(entry, response, recorded.length)) answer(response, entry.body);
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  recorded = [];
  script = () => false;
});

const make = (options: Partial<OpenAICompatibleEmbedderOptions> = {}) =>
  new OpenAICompatibleEmbedder({
    baseURL,
    model: 'test-embedder',
    dimensions: DIMENSIONS,
    retryBaseDelayMs: 1,
    ...options,
  });

describe('OpenAICompatibleEmbedder', () => {
  it('batches by maxBatchSize and returns vectors in input order', async () => {
    const texts = ['alpha', 'be', 'gamma ray', 'd', 'epsilon'];
    const result = await make({ maxBatchSize: 2, apiKey: 'secret', cache: false }).embed(texts);
    expect(recorded.map((r) => r.body.input.length)).toEqual([2, 2, 1]);
    expect(recorded[0]?.authorization).toBe('Bearer secret');
    expect(recorded[0]?.body.encoding_format).toBe('float');
    expect(recorded[0]?.body.dimensions).toBeUndefined();
    expect(result.vectors.map((v) => Array.from(v))).toEqual(texts.map(vectorOf));
    expect(result.tokens).toBe(15);
    expect(result.truncated).toEqual([]);
  });

  it('applies prefixes, normalises on request, decodes base64 and sends dimensions when asked', async () => {
    const embedder = make({
      queryPrefix: 'query: ',
      normalize: true,
      encodingFormat: 'base64',
      requestDimensions: true,
    });
    const result = await embedder.embed(['cell'], { inputType: 'query' });
    expect(recorded[0]?.body.input).toEqual(['query: cell']);
    expect(recorded[0]?.body.dimensions).toBe(DIMENSIONS);
    const expected = vectorOf('query: cell');
    const norm = Math.hypot(...expected);
    expect(Array.from(result.vectors[0] ?? [])).toEqual(expected.map((v) => Math.fround(v / norm)));
    expect(embedder.modelId).toBe('test-embedder@remote+dim4');
  });

  it('serves repeated texts from its cache', async () => {
    const embedder = make();
    await embedder.embed(['one', 'two']);
    const again = await embedder.embed(['two', 'three', 'one']);
    expect(recorded.map((r) => r.body.input)).toEqual([['one', 'two'], ['three']]);
    expect(Array.from(again.vectors[2] ?? [])).toEqual(vectorOf('one'));
  });

  it('retries 429 after the Retry-After wait and 500 with backoff', async () => {
    script = (_request, response, count) => {
      if (count === 1) response.writeHead(429, { 'retry-after': '1' }).end('{"error":{"message":"slow down"}}');
      else if (count === 2) response.writeHead(500).end('{"error":{"message":"boom"}}');
      else return false;
      return true;
    };
    const waits: number[] = [];
    const result = await make({ onRetry: (info) => waits.push(info.delayMs) }).embed(['x']);
    expect(recorded).toHaveLength(3);
    expect(waits[0]).toBe(1000);
    expect(waits[1]).toBeLessThan(1000);
    expect(Array.from(result.vectors[0] ?? [])).toEqual(vectorOf('x'));
  });

  it('gives E_RATE_LIMITED when 429 persists', async () => {
    script = (_request, response) => {
      response.writeHead(429).end('{"error":{"message":"slow down"}}');
      return true;
    };
    const error = await make({ maxRetries: 2 })
      .embed(['x'])
      .catch((e) => e);
    expect(isWinnowError(error, 'E_RATE_LIMITED')).toBe(true);
    expect(recorded).toHaveLength(3);
  });

  it('maps 401 to E_AUTH at once', async () => {
    script = (_request, response) => {
      response.writeHead(401).end('{"error":{"message":"Incorrect API key"}}');
      return true;
    };
    const error = await make({ apiKey: 'wrong' })
      .embed(['x'])
      .catch((e) => e);
    expect(isWinnowError(error, 'E_AUTH')).toBe(true);
    expect(error.message).toContain(`${baseURL}/embeddings`);
    expect(error.message).toContain('embed.apiKey');
    expect(recorded).toHaveLength(1);
  });

  it('times out a request that gets no answer', async () => {
    script = () => true;
    const error = await make({ timeoutMs: 150, maxRetries: 1 })
      .embed(['x'])
      .catch((e) => e);
    expect(isWinnowError(error, 'E_TIMEOUT')).toBe(true);
    expect(recorded).toHaveLength(2);
  });

  it('stops with E_ABORTED when the caller aborts', async () => {
    script = () => true;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await make({ timeoutMs: 10_000 })
      .embed(['x'], { signal: controller.signal })
      .catch((e) => e);
    expect(isWinnowError(error, 'E_ABORTED')).toBe(true);
  });

  it('rejects vectors of the wrong size and empty inputs', async () => {
    const error = await make({ dimensions: 8 })
      .embed(['x'])
      .catch((e) => e);
    expect(isWinnowError(error, 'E_DIMENSION_MISMATCH')).toBe(true);
    await expect(make().embed(['ok', ' '])).rejects.toThrow(/E_EMPTY_INPUT: field texts\[1\]/);
  });
});
