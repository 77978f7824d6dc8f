import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isWinnowError } from '@winnow/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpReranker, type HttpRerankerOptions } from '../src/index.js';

/**
 * A local server speaking both rerank dialects on POST /rerank: Cohere/vLLM
 * `{model, query, documents, top_n}` → `{results: [{index, relevance_score}]}` (best first, top_n kept) and TEI
 * `{query, texts}` → `[{index, score}]` (best first). A passage's score is its share of query words.
 */
interface Recorded {
  url: string | undefined;
  authorization: string | undefined;
  body: Record<string, unknown>;
}
type Script = (request: Recorded, response: ServerResponse, count: number) => boolean;

let recorded: Recorded[] = [];
let script: Script = () => false;
let baseURL = '';

function overlap(query: string, passage: string): number {
  const words = new Set(query.toLowerCase().split(/\s+/));
  const tokens = passage.toLowerCase().split(/\s+/);
  return tokens.filter((token) => words.has(token)).length / tokens.length;
}

function answer(response: ServerResponse, body: Record<string, unknown>): void {
  const query = String(body.query);
  const passages = (body.documents ?? body.texts) as string[];
  const ranked = passages
    .map((passage, index) => ({ index, score: overlap(query, passage) }))
    .sort((a, b) => b.score - a.score);
  const payload =
    body.texts === undefined
      ? {
          id: 'rerank-1',
          model: body.model,
          results: ranked
            .slice(0, Number(body.top_n ?? ranked.length))
            .map(({ index, score }) => ({ index, relevance_score: score })),
        }
      : ranked;
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
}

const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  let raw = '';
  request.on('data', (part: Buffer) => {
    raw += part.toString('utf8');
  });
  request.on('end', () => {
    const entry: Recorded = { url: request.url, authorization: request.headers.authorization, body: JSON.parse(raw) };
    recorded.push(entry);
    if (!script(entry, response, recorded.length)) answer(response, entry.body);
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  recorded = [];
  script = () => false;
});

const passages = ['cats chase mice', 'dogs chase cats and mice', 'the stock market', 'mice eat cheese', 'cats'];
const make = (options: Partial<HttpRerankerOptions> = {}) =>
  new HttpReranker({ baseURL, model: 'test-reranker', retryBaseDelayMs: 1, ...options });

describe('HttpReranker', () => {
  for (const flavor of ['cohere', 'tei'] as const) {
    it(`speaks the ${flavor} dialect, batches by maxBatchSize and keeps input order`, async () => {
      const scores = await make({ flavor, maxBatchSize: 2, apiKey: 'k' }).score('cats chase mice', passages);
      expect(scores).toEqual(passages.map((passage) => overlap('cats chase mice', passage)));
      expect(recorded.map((r) => ((r.body.documents ?? r.body.texts) as string[]).length)).toEqual([2, 2, 1]);
      expect(recorded[0]?.url).toBe('/rerank');
      expect(recorded[0]?.authorization).toBe('Bearer k');
      if (flavor === 'cohere') expect(recorded[0]?.body).toMatchObject({ model: 'test-reranker', top_n: 2 });
      else expect(recorded[0]?.body).toMatchObject({ truncate: true });
    });
  }

  it('retries 429 after the Retry-After wait and 500 with backoff', async () => {
    script = (_request, response, count) => {
      if (count === 1) response.writeHead(429, { 'retry-after': '1' }).end('{"message":"busy"}');
      else if (count === 2) response.writeHead(503).end('{"message":"loading"}');
      else return false;
      return true;
    };
    const waits: number[] = [];
    const scores = await make({ onRetry: (info) => waits.push(info.delayMs) }).score('cats', ['cats']);
    expect(scores).toEqual([1]);
    expect(recorded).toHaveLength(3);
    expect(waits[0]).toBe(1000);
    expect(waits[1]).toBeLessThan(1000);
  });

  it('maps 401 to E_AUTH at once, naming the URL', async () => {
    script = (_request, response) => {
      response.writeHead(401).end('{"message":"invalid api token"}');
      return true;
    };
    const error = await make({ apiKey: 'bad' })
      .score('q', ['p'])
      .catch((e) => e);
    expect(isWinnowError(error, 'E_AUTH')).toBe(true);
    expect(error.message).toContain(`${baseURL}/rerank`);
    expect(recorded).toHaveLength(1);
  });

  it('times out and aborts', async () => {
    script = () => true;
    const timedOut = await make({ timeoutMs: 100, maxRetries: 1 })
      .score('q', ['p'])
      .catch((e) => e);
    expect(isWinnowError(timedOut, 'E_TIMEOUT')).toBe(true);
    expect(recorded).toHaveLength(2);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const aborted = await make({ timeoutMs: 10_000 })
      .score('q', ['p'], { signal: controller.signal })
      .catch((e) => e);
    expect(isWinnowError(aborted, 'E_ABORTED')).toBe(true);
  });

  it('rejects answers of the wrong dialect or with missing scores', async () => {
    script = (_request, response) => {
      response.writeHead(200).end(JSON.stringify({ results: [{ index: 0, relevance_score: 0.5 }] }));
      return true;
    };
    const missing = await make()
      .score('q', ['p', 'r'])
      .catch((e) => e);
    expect(isWinnowError(missing, 'E_HTTP')).toBe(true);
    expect(missing.message).toContain('documents[1]');
    script = (_request, response) => {
      response.writeHead(200).end(JSON.stringify({ results: [] }));
      return true;
    };
    const wrongDialect = await make({ flavor: 'tei' })
      .score('q', ['p'])
      .catch((e) => e);
    expect(wrongDialect.message).toContain('flavor');
  });
});
