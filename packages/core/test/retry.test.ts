import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffDelay, isWinnowError, parseRetryAfter, postJsonWithRetry, withRetries } from '../src/index.js';

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;
let handler: Handler = (_request, response) => response.end('{}');
let baseURL = '';
const server = createServer((request, response) => {
  let body = '';
  request.on('data', (part: Buffer) => {
    body += part.toString('utf8');
  });
  request.on('end', () => handler(request, response, body));
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const fast = { baseDelayMs: 1, maxDelayMs: 5 };

describe('backoff and Retry-After', () => {
  it('grows the jitter ceiling exponentially up to the cap', () => {
    const top = () => 0.999999;
    expect(backoffDelay(1, 100, 10_000, top)).toBe(99);
    expect(backoffDelay(3, 100, 10_000, top)).toBe(399);
    expect(backoffDelay(20, 100, 10_000, top)).toBe(9999);
    expect(backoffDelay(3, 100, 10_000, () => 0)).toBe(0);
  });

  it('parses seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('withRetries', () => {
  it('retries what classify allows and stops at maxRetries', async () => {
    let calls = 0;
    const failing = withRetries(
      async () => {
        calls += 1;
        throw new Error('flaky');
      },
      () => ({ retry: true }),
      { ...fast, maxRetries: 2 },
    );
    await expect(failing).rejects.toThrow('flaky');
    expect(calls).toBe(3);
  });

  it('does not retry a final error', async () => {
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw new Error('bad request');
        },
        () => ({ retry: false }),
        fast,
      ),
    ).rejects.toThrow('bad request');
    expect(calls).toBe(1);
  });
});

describe('postJsonWithRetry', () => {
  it('retries 429 and 500, honouring Retry-After', async () => {
    const seen: number[] = [];
    handler = (_request, response, body) => {
      seen.push(Date.now());
      if (seen.length === 1) {
        response.writeHead(429, { 'retry-after': '1' }).end('{"error":"slow down"}');
      } else if (seen.length === 2) {
        response.writeHead(500).end('oops');
      } else {
        response.writeHead(200, { 'content-type': 'application/json' }).end(body);
      }
    };
    const delays: number[] = [];
    const result = await postJsonWithRetry<{ hello: string }>(
      `${baseURL}/echo`,
      { hello: 'world' },
      {
        ...fast,
        onRetry: (info) => delays.push(info.delayMs),
      },
    );
    expect(result.body).toEqual({ hello: 'world' });
    expect(seen).toHaveLength(3);
    expect(delays[0]).toBe(1000);
  });

  it('maps 401 to E_AUTH without retrying', async () => {
    let calls = 0;
    handler = (_request, response) => {
      calls += 1;
      response.writeHead(401).end('{"error":"bad key"}');
    };
    const error = await postJsonWithRetry(`${baseURL}/x`, {}, { ...fast, setting: 'rerank.apiKey' }).catch((e) => e);
    expect(isWinnowError(error, 'E_AUTH')).toBe(true);
    expect(String(error.message)).toContain(`${baseURL}/x`);
    expect(calls).toBe(1);
  });

  it('gives E_RATE_LIMITED when 429 persists', async () => {
    handler = (_request, response) => response.writeHead(429).end('busy');
    const error = await postJsonWithRetry(`${baseURL}/x`, {}, { ...fast, maxRetries: 2 }).catch((e) => e);
    expect(isWinnowError(error, 'E_RATE_LIMITED')).toBe(true);
  });

  it('times out an attempt with E_TIMEOUT', async () => {
    handler = () => undefined;
    const error = await postJsonWithRetry(`${baseURL}/hang`, {}, { ...fast, maxRetries: 1, timeoutMs: 100 }).catch(
      (e) => e,
    );
    expect(isWinnowError(error, 'E_TIMEOUT')).toBe(true);
  });

  it('stops with E_ABORTED when the caller aborts', async () => {
    handler = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await postJsonWithRetry(
      `${baseURL}/hang`,
      {},
      { signal: controller.signal, timeoutMs: 10_000 },
    ).catch((e) => e);
    expect(isWinnowError(error, 'E_ABORTED')).toBe(true);
  });
});
