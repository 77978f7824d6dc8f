/**
 * WinnowRetriever's per-call options: `configurable.principal` and the call's AbortSignal reach winnow's retriever,
 * each concurrent call with its own. A small fake of core's Retriever contract records what it was asked.
 */
import type { Principal, RetrievalResult, RetrieveOptions, Retriever } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { WinnowRetriever } from '../src/index.js';

/** Answers after `delayMs` with no candidates, recording each call's options; honours the signal like a store does. */
function recordingRetriever(delayMs = 0): Retriever & { calls: Array<{ query: string; options: RetrieveOptions }> } {
  const calls: Array<{ query: string; options: RetrieveOptions }> = [];
  return {
    calls,
    async retrieve(query, options = {}) {
      calls.push({ query, options });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, delayMs);
        options.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(options.signal?.reason);
        });
      });
      return { candidates: [] } as unknown as RetrievalResult;
    },
  };
}

const alice: Principal = { tenant: 'acme', groups: ['legal'] };
const bob: Principal = { tenant: 'acme', groups: ['sales'] };

describe('WinnowRetriever per call', () => {
  it('uses the instance principal, and a call principal instead when one is given', async () => {
    const inner = recordingRetriever();
    const retriever = new WinnowRetriever({ retriever: inner, principal: alice, k: 3 });
    await retriever.invoke('q1');
    await retriever.invoke('q2', { configurable: { principal: bob } });
    expect(inner.calls.map((c) => [c.query, c.options.principal, c.options.k])).toEqual([
      ['q1', alice, 3],
      ['q2', bob, 3],
    ]);
  });

  it('keeps concurrent calls apart: each reaches the retriever as its own principal', async () => {
    const inner = recordingRetriever(20);
    const retriever = new WinnowRetriever({ retriever: inner });
    const principals = Array.from({ length: 8 }, (_, i) => ({ tenant: `t${i}`, groups: [] }));
    await Promise.all(principals.map((principal, i) => retriever.invoke(`q${i}`, { configurable: { principal } })));
    for (const call of inner.calls) expect(call.options.principal?.tenant).toBe(`t${call.query.slice(1)}`);
    expect(inner.calls).toHaveLength(8);
  });

  it('passes the call signal on: aborting it rejects the call', async () => {
    const inner = recordingRetriever(60_000);
    const retriever = new WinnowRetriever({ retriever: inner });
    const controller = new AbortController();
    const pending = retriever.invoke('slow', { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(new Error('user went away'));
    await expect(pending).rejects.toThrow('user went away');
    expect(inner.calls[0]?.options.signal).toBe(controller.signal);
  });

  it('without a principal anywhere, none is sent', async () => {
    const inner = recordingRetriever();
    await new WinnowRetriever({ retriever: inner }).invoke('q');
    expect('principal' in (inner.calls[0]?.options ?? {})).toBe(false);
  });
});
