import { AutoTokenizer, env } from '@huggingface/transformers';
import type { ChatMessage, TokenCounter } from '@winnow/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countChatTokens, createContextBuilder, createTiktokenCounter, encodingForModel } from '../src/index.js';
import { candidate, prose } from './candidates.js';

describe('tiktoken counters', () => {
  it('maps OpenAI model names to their encodings', () => {
    expect(encodingForModel('gpt-4o')).toBe('o200k_base');
    expect(encodingForModel('gpt-4o-mini-2024-07-18')).toBe('o200k_base');
    expect(encodingForModel('gpt-4.1-nano')).toBe('o200k_base');
    expect(encodingForModel('o3-mini')).toBe('o200k_base');
    expect(encodingForModel('openai/gpt-5')).toBe('o200k_base');
    expect(encodingForModel('gpt-4')).toBe('cl100k_base');
    expect(encodingForModel('gpt-4-turbo')).toBe('cl100k_base');
    expect(encodingForModel('gpt-3.5-turbo')).toBe('cl100k_base');
    expect(encodingForModel('cl100k_base')).toBe('cl100k_base');
    expect(() => encodingForModel('meta-llama/Llama-3.1-8B-Instruct')).toThrow(
      /E_CONFIG_INVALID: setting generate\.model: no tiktoken encoding is known for model "meta-llama\/Llama-3\.1-8B-Instruct"/,
    );
  });

  it('counts offline with the bundled ranks, special-token look-alikes as plain text', () => {
    const o200k = createTiktokenCounter('gpt-4o');
    const cl100k = createTiktokenCounter('gpt-4');
    expect(o200k.id).toBe('tiktoken:o200k_base');
    expect(o200k.encode('hello world')).toEqual([24912, 2375]);
    expect(cl100k.encode('hello world')).toEqual([15339, 1917]);
    expect(o200k.count('')).toBe(0);
    // As message content the API never reads this as the end-of-text token.
    expect(o200k.count('<|endoftext|>')).toBeGreaterThan(1);
    expect(o200k.count('Ünïcödé — 日本語のテキスト')).toBe(o200k.encode('Ünïcödé — 日本語のテキスト').length);
  });

  it('adds OpenAI chat framing: 3 tokens per message and 3 to prime the reply', () => {
    const counter = createTiktokenCounter('gpt-4o-mini');
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hi.' },
    ];
    const expected =
      3 +
      (3 + counter.count('system') + counter.count('You are terse.')) +
      (3 + counter.count('user') + counter.count('Say hi.'));
    expect(countChatTokens(messages, counter)).toBe(expected);
    expect(countChatTokens([], counter)).toBe(3);
    expect(countChatTokens(messages, counter, { tokensPerMessage: 0, replyPriming: 0 })).toBe(expected - 9);
  });
});

describe('packing with any TokenCounter', () => {
  it("respects the budget exactly with a model's own tokenizer (transformers.js, special tokens counted)", async () => {
    env.allowRemoteModels = false;
    env.localModelPath = process.env.WINNOW_MODELS ?? '';
    const tokenizer = await AutoTokenizer.from_pretrained('all-MiniLM-L6-v2');
    const bert: TokenCounter = { id: 'all-MiniLM-L6-v2', count: (text) => tokenizer.encode(text).length };
    expect(bert.count('')).toBe(2);
    // A stand-in chat template: each message rendered as "<role>: <content>" and tokenized as one text.
    const countMessages = (messages: readonly ChatMessage[]) =>
      bert.count(messages.map((message) => `${message.role}: ${message.content}`).join('\n'));
    const candidates = Array.from({ length: 8 }, (_, i) =>
      candidate({ documentId: `d${i}`, text: prose(25 + 9 * i, i) }),
    );
    const roomy = createContextBuilder({ tokenCounter: bert, countMessages, contextWindow: 50_000, answerTokens: 64 });
    const all = await roomy.build('What fits?', candidates);
    expect(all.promptTokens).toBe(countMessages(all.messages));
    expect(all.promptTokens).not.toBe(countChatTokens(all.messages, createTiktokenCounter('gpt-4o')));

    const exact = createContextBuilder({
      tokenCounter: bert,
      countMessages,
      contextWindow: all.promptTokens + 64,
      answerTokens: 64,
    });
    expect((await exact.build('What fits?', candidates)).sources).toHaveLength(8);
    const tight = createContextBuilder({
      tokenCounter: bert,
      countMessages,
      contextWindow: all.promptTokens + 63,
      answerTokens: 64,
    });
    const packed = await tight.build('What fits?', candidates);
    expect(packed.dropped).toBe(1);
    expect(packed.promptTokens).toBeLessThanOrEqual(packed.budget);
    expect(packed.promptTokens).toBe(countMessages(packed.messages));
  });

  it('never exceeds the budget and accounts for every candidate (property)', async () => {
    const counter = createTiktokenCounter('gpt-4o-mini');
    const spec = fc.record({
      window: fc.integer({ min: 420, max: 3000 }),
      order: fc.constantFrom('score' as const, 'lost-in-the-middle' as const),
      mergeAdjacent: fc.boolean(),
      chunks: fc.array(
        fc.record({
          doc: fc.integer({ min: 0, max: 3 }),
          ordinal: fc.integer({ min: 0, max: 6 }),
          words: fc.integer({ min: 1, max: 220 }),
        }),
        { maxLength: 14 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(spec, async ({ window, order, mergeAdjacent, chunks }) => {
        // Chunks of a document are cut from one text at their ordinal's slot, overlapping their neighbours.
        const unique = new Map(chunks.map((c) => [`${c.doc}#${c.ordinal}`, c]));
        const candidates = [...unique.values()].map((c) => {
          const text = prose(c.words, c.doc * 10 + c.ordinal);
          return candidate({ documentId: `doc${c.doc}`, ordinal: c.ordinal, text, charStart: c.ordinal * 400 });
        });
        const builder = createContextBuilder({
          tokenCounter: counter,
          contextWindow: window,
          answerTokens: 120,
          order,
          mergeAdjacent,
        });
        const context = await builder.build('Which passages fit the budget?', candidates);
        expect(context.promptTokens).toBe(countChatTokens(context.messages, counter));
        expect(context.promptTokens).toBeLessThanOrEqual(window - 120);
        const included = new Set(context.sources.flatMap((source) => source.chunkIds));
        expect(included.size + context.dropped).toBe(candidates.length);
        expect(context.sources.map((source) => source.label)).toEqual(context.sources.map((_, i) => i + 1));
      }),
      { numRuns: 60, seed: 20240607 },
    );
  });
});
