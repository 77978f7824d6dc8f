/**
 * Prompt-side costs per question: packing candidates into a token budget, and a generation round trip through
 * the openai client. Baselines measured in the same run: tokenizing the final prompt once, and tokenizing every
 * candidate once plus the final prompt (what any packer that looks at every candidate and checks its result
 * exactly must do); a bare fetch to the same local server.
 *
 *   pnpm bench:prompt
 *   BENCH_CANDIDATES=20,100,400 BENCH_WINDOWS=4096,16384,128000 BENCH_REPEATS=7 BENCH_REQUESTS=500 pnpm bench:prompt
 */
import type { Candidate } from '@winnow/core';
import { textHash } from '@winnow/core';
import { startOpenAIServer } from '../../../test/support/openai-server.js';
import { countChatTokens, createContextBuilder, createTiktokenCounter, OpenAIGenerator } from '../src/index.js';

const listOf = (value: string | undefined, fallback: number[]) =>
  value === undefined ? fallback : value.split(',').map((part) => Number.parseInt(part, 10));
const candidateCounts = listOf(process.env.BENCH_CANDIDATES, [20, 100]);
const windows = listOf(process.env.BENCH_WINDOWS, [4096, 16_384]);
const repeats = Number.parseInt(process.env.BENCH_REPEATS ?? '5', 10);
const requests = Number.parseInt(process.env.BENCH_REQUESTS ?? '100', 10);

const vocabulary =
  'the index stores chunks with provenance so that answers can cite pages headings and uris while a reranker orders candidates by relevance to the question'.split(
    ' ',
  );

/** Candidates of 60–360 words from 25 documents; a third are neighbours of another, so merging has work. */
function makeCandidates(count: number): Candidate[] {
  return Array.from({ length: count }, (_, i) => {
    const words = 60 + ((i * 53) % 300);
    const text = Array.from({ length: words }, (_, w) => vocabulary[(i * 7 + w * 3) % vocabulary.length]).join(' ');
    const documentId = `doc${i % 25}`;
    const ordinal = i % 3 === 0 ? Math.floor(i / 25) * 2 + 1 : Math.floor(i / 25) * 2;
    const charStart = ordinal * 2_500;
    return {
      chunk: {
        id: `${documentId}#${ordinal}#${i}`,
        documentId,
        ordinal,
        text,
        headingPath: ['Guide', `Section ${i % 7}`],
        tokenCount: 0,
        provenance: { charStart, charEnd: charStart + text.length, page: 1 + (i % 40) },
        metadata: {},
        hash: textHash(text),
      },
      document: {
        id: documentId,
        uri: `file:///corpus/${documentId}.pdf`,
        contentHash: 'x',
        title: `Document ${documentId}`,
        metadata: {},
      },
      scores: { rerank: 1 - i / count },
      ranks: { rerank: i + 1 },
    };
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function time(run: () => unknown): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

const counter = createTiktokenCounter('gpt-4o-mini');
console.log(`packing (tiktoken o200k_base, median of ${repeats})`);
console.log('  final ms: one count of the final prompt; all ms: every candidate counted once plus the final prompt');
console.log(
  'candidates  window  order               sources  dropped  promptTokens  pack ms  final ms  all ms  pack/all',
);
for (const count of candidateCounts) {
  const candidates = makeCandidates(count);
  for (const contextWindow of windows) {
    for (const order of ['score', 'lost-in-the-middle'] as const) {
      const builder = createContextBuilder({ tokenCounter: counter, contextWindow, answerTokens: 1024, order });
      const question = 'Which settings control how many candidates reach the prompt?';
      const context = await builder.build(question, candidates);
      const packTimes: number[] = [];
      const countTimes: number[] = [];
      const allTimes: number[] = [];
      for (let r = 0; r < repeats; r += 1) {
        const start = performance.now();
        await builder.build(question, candidates);
        packTimes.push(performance.now() - start);
        countTimes.push(time(() => countChatTokens(context.messages, counter)));
        allTimes.push(
          time(() => {
            for (const candidate of candidates) counter.count(candidate.chunk.text);
            countChatTokens(context.messages, counter);
          }),
        );
      }
      const pack = median(packTimes);
      const once = median(countTimes);
      const all = median(allTimes);
      console.log(
        [
          String(count).padStart(10),
          String(contextWindow).padStart(7),
          order.padEnd(19),
          String(context.sources.length).padStart(8),
          String(context.dropped).padStart(8),
          String(context.promptTokens).padStart(13),
          pack.toFixed(1).padStart(8),
          once.toFixed(1).padStart(9),
          all.toFixed(1).padStart(7),
          `${(pack / all).toFixed(1)}x`.padStart(9),
        ].join(' '),
      );
    }
  }
}

const server = await startOpenAIServer();
try {
  const messages = [{ role: 'user' as const, content: 'Say OK.' }];
  const generator = new OpenAIGenerator({ model: 'bench', baseURL: server.baseURL, env: {} });
  await generator.generate(messages);
  const body = JSON.stringify({ model: 'bench', messages });
  const rawStart = performance.now();
  for (let i = 0; i < requests; i += 1) {
    const response = await fetch(`${server.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer EMPTY' },
      body,
    });
    await response.json();
  }
  const rawMs = (performance.now() - rawStart) / requests;
  const clientStart = performance.now();
  for (let i = 0; i < requests; i += 1) await generator.generate(messages);
  const clientMs = (performance.now() - clientStart) / requests;
  const streamStart = performance.now();
  for (let i = 0; i < requests; i += 1) for await (const _ of generator.stream(messages));
  const streamMs = (performance.now() - streamStart) / requests;
  console.log(`\ngeneration round trip to a local server, mean of ${requests} sequential calls`);
  console.log(`  bare fetch (baseline)       ${rawMs.toFixed(2)} ms`);
  console.log(`  OpenAIGenerator.generate    ${clientMs.toFixed(2)} ms`);
  console.log(`  OpenAIGenerator.stream      ${streamMs.toFixed(2)} ms`);
} finally {
  await server.close();
}
