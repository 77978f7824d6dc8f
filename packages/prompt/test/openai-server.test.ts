import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashVector, type OpenAIServer, startOpenAIServer } from '../../../test/support/openai-server.js';

// The shared test server must speak the protocol the real openai client expects, for every package using it.
describe('test/support/openai-server', () => {
  let server: OpenAIServer;
  let client: OpenAI;

  beforeAll(async () => {
    server = await startOpenAIServer({
      embeddingDimensions: 6,
      routes: {
        '/rerank': (body) => {
          const { documents } = body as { documents: string[] };
          return { results: documents.map((_, index) => ({ index, relevance_score: 1 / (index + 1) })) };
        },
        '/explode': () => {
          throw new Error('route failed');
        },
      },
    });
    client = new OpenAI({ apiKey: 'EMPTY', baseURL: server.baseURL, maxRetries: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers embeddings in base64 (the client default) and as floats', async () => {
    const base64 = await client.embeddings.create({ model: 'emb', input: ['alpha', 'beta'] });
    expect(base64.data).toHaveLength(2);
    const expected = hashVector('alpha', 6);
    expect(base64.data[0]?.embedding).toHaveLength(6);
    base64.data[0]?.embedding.forEach((value, i) => {
      expect(value).toBeCloseTo(expected[i] ?? Number.NaN, 6);
    });
    expect(Math.hypot(...(base64.data[1]?.embedding ?? []))).toBeCloseTo(1, 5);
    const floats = await client.embeddings.create({ model: 'emb', input: 'alpha', encoding_format: 'float' });
    expect(floats.data[0]?.embedding).toEqual(expected);
    expect(server.requestsTo('/embeddings').map((request) => request.body)).toEqual([
      { model: 'emb', input: ['alpha', 'beta'], encoding_format: 'base64' },
      { model: 'emb', input: 'alpha', encoding_format: 'float' },
    ]);
  });

  it('plays scripted embeddings and errors per route, in order', async () => {
    server.enqueue({ route: '/embeddings', status: 503, error: { message: 'warming up' } });
    server.enqueue({ route: '/embeddings', embeddings: [[1, 0, 0]] });
    await expect(client.embeddings.create({ model: 'emb', input: 'x' })).rejects.toMatchObject({ status: 503 });
    // A chat request does not consume an embeddings step.
    await expect(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    ).resolves.toMatchObject({
      choices: [{ message: { content: 'OK' } }],
    });
    const scripted = await client.embeddings.create({ model: 'emb', input: 'x', encoding_format: 'float' });
    expect(scripted.data[0]?.embedding).toEqual([1, 0, 0]);
    expect(server.pendingSteps()).toBe(0);
  });

  it('serves extra JSON routes, lists models and answers unknown routes with 404', async () => {
    const response = await fetch(`${server.baseURL}/rerank`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'q', documents: ['a', 'b'] }),
    });
    expect(await response.json()).toEqual({
      results: [
        { index: 0, relevance_score: 1 },
        { index: 1, relevance_score: 0.5 },
      ],
    });
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['test-model']);
    const missing = await fetch(`${server.baseURL}/nowhere`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const exploded = await fetch(`${server.baseURL}/explode`, { method: 'POST', body: '{}' });
    expect(exploded.status).toBe(500);
    expect(await exploded.json()).toMatchObject({ error: { message: 'route failed', type: 'server_error' } });
  });
});
