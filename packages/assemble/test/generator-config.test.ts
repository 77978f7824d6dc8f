/** generate.deadlineMs reaches the generator: a hanging endpoint ends at the deadline, naming the setting. */
import { isWinnowError, parseConfig } from '@winnow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAIServer, startOpenAIServer } from '../../../test/support/openai-server.js';
import { createGeneratorFromConfig } from '../src/index.js';

let server: OpenAIServer;

beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});

describe('createGeneratorFromConfig', () => {
  // Before the deadline, defaults held `ask` ~275 s here: 4 attempts × generate.timeoutMs plus backoff (#16).
  it('stops waiting for a hanging endpoint at generate.deadlineMs', async () => {
    server.enqueue(...Array.from({ length: 4 }, () => ({ delayMs: 30_000 })));
    const generator = createGeneratorFromConfig(
      parseConfig({ generate: { model: 'm', baseURL: server.baseURL, deadlineMs: 300 } }),
    );
    const started = Date.now();
    const error = await (async () => {
      for await (const _ of generator?.stream([{ role: 'user', content: 'hi' }]) ?? []) {
        // nothing arrives
      }
    })().catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(isWinnowError(error, 'E_TIMEOUT')).toBe(true);
    expect((error as Error).message).toContain('generate.deadlineMs');
  });
});
