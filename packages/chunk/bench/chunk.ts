/**
 * Chunking throughput: chunks/s and tokens/s with the real all-MiniLM-L6-v2 tokenizer, and with the approximate
 * counter as the baseline, on a generated Markdown-like corpus and on SciFact abstracts.
 *
 *   pnpm bench:chunk
 *   CHUNK_BENCH_DOCS=2000 CHUNK_BENCH_SCIFACT=0 pnpm bench:chunk   # bigger generated corpus, all 5,183 abstracts
 *
 * Env: CHUNK_BENCH_DOCS (generated documents, default 300), CHUNK_BENCH_SCIFACT (abstracts, default 2000, 0 = all),
 * CHUNK_BENCH_LINE_MIB (single-line sizes for the scaling table, default "1,2,4"; "" skips it), CHUNK_BENCH_REPEATS
 * (runs per size, default 3), WINNOW_MODELS (model folders, default ../shared/models beside the checkout).
 *
 * The scaling table chunks one document that is a single line of N MiB (no line breaks; prose with and without
 * sentence ends): chunking must be linear in the input, so seconds per MiB should stay flat as N doubles.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { createApproximateTokenCounter, createChunker, createTransformersTokenCounter } from '@winnow/chunk';
import { assembleDocument, type DraftBlock, type ParsedDocument, type TokenCounter } from '@winnow/core';

const GENERATED_DOCS = Number(process.env.CHUNK_BENCH_DOCS ?? 300);
const SCIFACT_DOCS = Number(process.env.CHUNK_BENCH_SCIFACT ?? 2000);
const LINE_MIB = (process.env.CHUNK_BENCH_LINE_MIB ?? '1,2,4')
  .split(',')
  .filter((size) => size.trim() !== '')
  .map(Number);
const REPEATS = Number(process.env.CHUNK_BENCH_REPEATS ?? 3);
const SCIFACT_PATH = new URL('../../../../shared/datasets/scifact/corpus.jsonl.gz', import.meta.url).pathname;

/** A small deterministic PRNG (mulberry32), so every run chunks the same corpus. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'the a of to and in retrieval chunk embedding model token install package workspace store dependency version lockfile registry network cache performance configuration document section heading paragraph sentence vector index query'.split(
    ' ',
  );

function generatedCorpus(count: number): ParsedDocument[] {
  const next = random(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const sentence = () => {
    const text = words(6 + Math.floor(next() * 20));
    return `${text[0]?.toUpperCase()}${text.slice(1)}.`;
  };
  const docs: ParsedDocument[] = [];
  for (let d = 0; d < count; d += 1) {
    const drafts: DraftBlock[] = [{ kind: 'heading', level: 1, text: `Guide ${d}` }];
    const sections = 2 + Math.floor(next() * 6);
    for (let s = 0; s < sections; s += 1) {
      drafts.push({ kind: 'heading', level: 2, text: words(3) });
      const blocks = 1 + Math.floor(next() * 6);
      for (let b = 0; b < blocks; b += 1) {
        const kind = next();
        if (kind < 0.6) {
          drafts.push({
            kind: 'paragraph',
            text: Array.from({ length: 1 + Math.floor(next() * 8) }, sentence).join(' '),
          });
        } else if (kind < 0.75) {
          const items = Array.from({ length: 2 + Math.floor(next() * 6) }, sentence);
          drafts.push({ kind: 'list', ordered: false, items, text: items.join('\n') });
        } else if (kind < 0.9) {
          const lines = Array.from({ length: 3 + Math.floor(next() * 30) }, (_, i) => `  const v${i} = ${words(4)};`);
          drafts.push({ kind: 'code', language: 'ts', text: lines.join('\n') });
        } else {
          drafts.push({ kind: 'heading', level: 3, text: words(2) });
        }
      }
    }
    const header = { id: `gen-${d}.md`, uri: `file:///gen-${d}.md`, mediaType: 'text/markdown', metadata: {} };
    docs.push(assembleDocument({ ...header, title: `Guide ${d}`, contentHash: String(d) }, drafts));
  }
  return docs;
}

async function scifactCorpus(limit: number): Promise<ParsedDocument[]> {
  const lines = createInterface({ input: createReadStream(SCIFACT_PATH).pipe(createGunzip()), crlfDelay: Infinity });
  const docs: ParsedDocument[] = [];
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const record = JSON.parse(line) as { _id: string; title: string; text: string };
    const header = { id: record._id, uri: `beir:scifact#${record._id}`, mediaType: 'text/plain', metadata: {} };
    docs.push(
      assembleDocument({ ...header, title: record.title, contentHash: record._id }, [
        { kind: 'paragraph', text: record.text },
      ]),
    );
    if (limit > 0 && docs.length >= limit) break;
  }
  lines.close();
  return docs;
}

interface Figures {
  chunks: number;
  tokens: number;
  seconds: number;
  overMax: number;
}

async function run(
  docs: readonly ParsedDocument[],
  counter: TokenCounter,
  check: TokenCounter,
  split: boolean,
): Promise<Figures> {
  const chunker = createChunker({ tokenCounter: counter, split });
  const started = performance.now();
  const results = [];
  for (const doc of docs) results.push(await chunker.chunk(doc));
  const seconds = (performance.now() - started) / 1000;
  const all = results.flat();
  // Outside the timing: how many chunks the real model would find over 256 tokens.
  const overMax = split ? all.filter((chunk) => check.count(chunk.embedText ?? chunk.text) > 256).length : 0;
  return { chunks: all.length, tokens: all.reduce((sum, chunk) => sum + chunk.tokenCount, 0), seconds, overMax };
}

function row(label: string, docs: readonly ParsedDocument[], figures: Figures): string {
  const chars = docs.reduce((sum, doc) => sum + doc.text.length, 0);
  const cells = [
    label.padEnd(34),
    String(docs.length).padStart(6),
    String(figures.chunks).padStart(7),
    (figures.tokens / Math.max(1, figures.chunks)).toFixed(1).padStart(8),
    (figures.chunks / figures.seconds).toFixed(0).padStart(9),
    (figures.tokens / figures.seconds).toFixed(0).padStart(10),
    (chars / figures.seconds / 1e6).toFixed(2).padStart(7),
    String(figures.overMax).padStart(9),
  ];
  return cells.join(' ');
}

/** One line of about `mebibytes` MiB: generated words, with sentence ends (`sentences`) or none at all. */
function singleLine(mebibytes: number, sentences: boolean): ParsedDocument {
  const next = random(7);
  const parts: string[] = [];
  let length = 0;
  for (let index = 0; length < mebibytes * 1024 * 1024; index += 1) {
    const word = WORDS[Math.floor(next() * WORDS.length)] as string;
    const part = sentences && index % 18 === 17 ? `${word}. ${word[0]?.toUpperCase()}${word.slice(1)}` : word;
    parts.push(part);
    length += part.length + 1;
  }
  const text = parts.join(' ');
  const header = {
    id: `line-${mebibytes}.md`,
    uri: `file:///line-${mebibytes}.md`,
    mediaType: 'text/markdown',
    metadata: {},
  };
  return assembleDocument({ ...header, contentHash: String(mebibytes) }, [{ kind: 'paragraph', text }]);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Seconds to chunk single-line documents of growing size; the smallest size is the baseline of the ratios. */
async function scaling(counters: readonly [string, TokenCounter][]): Promise<void> {
  if (LINE_MIB.length === 0) return;
  console.log(
    `\nsingle-line scaling (${REPEATS} runs each; median [min–max] s; ratio to the ${LINE_MIB[0]} MiB median)`,
  );
  console.log(
    `${'counter / text'.padEnd(34)} ${'MiB'.padStart(4)} ${'chunks'.padStart(7)} ${'median s'.padStart(9)} ${'spread'.padStart(13)} ${'s/MiB'.padStart(6)} ${'ratio'.padStart(6)} ${'heap MB'.padStart(8)}`,
  );
  for (const [name, counter] of counters) {
    for (const withSentences of [false, true]) {
      const chunker = createChunker({ tokenCounter: counter });
      let baseline: number | undefined;
      for (const mebibytes of LINE_MIB) {
        const doc = singleLine(mebibytes, withSentences);
        const times: number[] = [];
        let chunks = 0;
        let heap = 0;
        for (let run = 0; run < REPEATS; run += 1) {
          const started = performance.now();
          chunks = (await chunker.chunk(doc)).length;
          times.push((performance.now() - started) / 1000);
          heap = Math.max(heap, process.memoryUsage().heapUsed / 1e6);
        }
        const middle = median(times);
        baseline ??= middle / mebibytes;
        const label = `${name} / ${withSentences ? 'sentences' : 'no sentence end'}`;
        console.log(
          [
            label.padEnd(34),
            String(mebibytes).padStart(4),
            String(chunks).padStart(7),
            middle.toFixed(2).padStart(9),
            `${Math.min(...times).toFixed(2)}–${Math.max(...times).toFixed(2)}`.padStart(13),
            (middle / mebibytes).toFixed(2).padStart(6),
            (middle / (baseline * (LINE_MIB[0] as number))).toFixed(2).padStart(6),
            heap.toFixed(0).padStart(8),
          ].join(' '),
        );
      }
    }
  }
  console.log('linear chunking keeps s/MiB flat: the ratio grows like the size (1, 2, 4 for 1, 2, 4 MiB).');
}

async function main(): Promise<void> {
  const loadStarted = performance.now();
  const miniLm = await createTransformersTokenCounter('all-MiniLM-L6-v2');
  const loadMs = performance.now() - loadStarted;
  const approximate = createApproximateTokenCounter();
  const corpora: [string, ParsedDocument[]][] = [
    ['generated', generatedCorpus(GENERATED_DOCS)],
    ['scifact', await scifactCorpus(SCIFACT_DOCS)],
  ];
  console.log(`tokenizer load ${loadMs.toFixed(0)} ms; settings: target 200, max 256, overlap 32, contextual`);
  console.log(
    `${'corpus / counter / mode'.padEnd(34)} ${'docs'.padStart(6)} ${'chunks'.padStart(7)} ${'tok/chk'.padStart(8)} ${'chunks/s'.padStart(9)} ${'tokens/s'.padStart(10)} ${'MB/s'.padStart(7)} ${'>256 real'.padStart(9)}`,
  );
  for (const [name, docs] of corpora) {
    // Warm-up on a few documents so JIT compilation is not timed.
    await run(docs.slice(0, 20), miniLm, miniLm, true);
    console.log(row(`${name} / MiniLM tokenizer / split`, docs, await run(docs, miniLm, miniLm, true)));
    console.log(row(`${name} / approximate (baseline)`, docs, await run(docs, approximate, miniLm, true)));
    console.log(row(`${name} / MiniLM tokenizer / whole`, docs, await run(docs, miniLm, miniLm, false)));
  }
  console.log(
    'tokens/s and tok/chk are in each counter’s own tokens; ">256 real" counts chunks over 256 MiniLM tokens.',
  );
  await scaling([
    ['MiniLM tokenizer', miniLm],
    ['approximate', approximate],
  ]);
}

await main();
