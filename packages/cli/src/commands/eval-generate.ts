import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createGeneratorFromConfig, openPipeline } from '@winnow/assemble';
import type { Chunk, DocumentRecord, Generator, VectorStore } from '@winnow/core';
import { WinnowError } from '@winnow/core';
import { seededShuffle } from '@winnow/eval';
import {
  mergeChunkTexts,
  parseQuestions,
  QUESTION_PROMPT_VERSION,
  QUOTE_RUN_WORDS,
  questionMessages,
  quotesPassage,
  wordsOf,
} from '@winnow/prompt';
import type { Output } from '../output.js';
import { loadSettings } from '../settings.js';

/** Chunks shorter than this many words are not sampled: too little text to answer a question. */
export const MIN_CHUNK_WORDS = 20;

export interface GenerateCommandOptions {
  /** The collection's configuration (store, embedder, generate endpoint). */
  config?: string;
  /** Where the BEIR-layout dataset is written (a new or empty folder). */
  dataset: string;
  /** Chunks sampled. */
  chunks: number;
  /** Questions asked per chunk. */
  questions: number;
  seed: number;
}

export interface GenerationSummary {
  promptVersion: string;
  model: string;
  seed: number;
  documents: number;
  chunksSampled: number;
  questionsAsked: number;
  questionsKept: number;
  dropped: { quotingTheChunk: number; missing: number };
  tokens: { sent: number; received: number; repliesWithoutUsage: number };
}

/** Every chunk of a document, in order: an exact (full-scan) search filtered to the document. */
async function chunksOf(store: VectorStore, documentId: string): Promise<Chunk[]> {
  // The vector only orders the scan; the filter makes the result every chunk of the document.
  const vector = new Float32Array(store.dimensions).fill(1 / Math.sqrt(store.dimensions));
  const found = await store.search({
    mode: 'dense',
    k: 10_000,
    vector,
    exact: true,
    filter: { field: 'documentId', op: 'eq', value: documentId },
  });
  return found.map((c) => c.chunk).sort((a, b) => a.ordinal - b.ordinal);
}

/**
 * Chunks stratified by document: documents in seeded random order, each document's long-enough chunks in seeded
 * random order, taken round-robin (every document gives one before any gives two) until `count` are taken.
 */
export function sampleChunks(byDocument: ReadonlyMap<string, readonly Chunk[]>, count: number, seed: number): Chunk[] {
  const documents = seededShuffle([...byDocument.keys()].sort(), seed, '--seed');
  const queues = documents.map((id, i) =>
    seededShuffle(
      (byDocument.get(id) ?? []).filter((c) => wordsOf(c.text).length >= MIN_CHUNK_WORDS),
      seed + i + 1,
      '--seed',
    ),
  );
  const taken: Chunk[] = [];
  for (let round = 0; taken.length < count; round++) {
    let any = false;
    for (const queue of queues) {
      const chunk = queue[round];
      if (chunk === undefined) continue;
      any = true;
      taken.push(chunk);
      if (taken.length === count) break;
    }
    if (!any) break;
  }
  return taken;
}

function checkOutputFolder(folder: string): void {
  if (existsSync(folder) && readdirSync(folder).length > 0) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `${folder} is not empty: --generate writes a new dataset, give a new or empty folder`,
      { field: '--dataset' },
    );
  }
}

/**
 * `winnow eval --generate`: writes a BEIR-layout dataset of questions an LLM wrote from sampled chunks of the indexed
 * collection (qrels: the chunk's document; the chunk kept in each query's metadata), for `winnow eval` to score.
 */
export async function runEvalGenerate(options: GenerateCommandOptions, out: Output): Promise<number> {
  const folder = resolve(options.dataset);
  checkOutputFolder(folder);
  const { config, baseDir } = await loadSettings(options.config);
  // Checked before the models and the database open, so a missing endpoint answers at once.
  const generator = createGeneratorFromConfig(config);
  if (!generator) {
    throw new WinnowError('E_CONFIG_INVALID', '--generate needs a generator: no endpoint is configured', {
      field: 'generate.baseURL',
      hint: 'set generate.baseURL (e.g. a vLLM server, http://localhost:8000/v1) and generate.model, or OPENAI_API_KEY',
    });
  }
  const opened = await openPipeline(config, { baseDir });
  try {
    const documents = (await opened.store.listDocuments()).sort((a, b) => a.id.localeCompare(b.id));
    if (documents.length === 0) {
      throw new WinnowError('E_CONFIG_INVALID', 'the collection is empty: run `winnow index <path>` first', {
        field: 'store.collection',
      });
    }
    const byDocument = new Map<string, Chunk[]>();
    for (const document of documents) byDocument.set(document.id, await chunksOf(opened.store, document.id));
    const sampled = sampleChunks(byDocument, options.chunks, options.seed);
    const bar = out.progress('generate questions');
    const { queries, summary } = await askForQuestions(
      generator,
      sampled,
      documents,
      options,
      opened.config.generate.model,
      (done) => bar.update(done, sampled.length, 'chunks'),
    );
    bar.stop();
    await writeDataset(folder, documents, byDocument, queries, summary);
    const { tokens, dropped } = summary;
    const lines = [
      `${summary.questionsKept} questions from ${summary.chunksSampled} chunks of ${new Set(sampled.map((c) => c.documentId)).size} documents (of ${documents.length}) written to ${folder}`,
      `dropped ${dropped.quotingTheChunk} quoting their chunk (a shared run of ${QUOTE_RUN_WORDS}+ words); ${dropped.missing} of ${summary.questionsAsked} asked for not kept`,
      `tokens sent ${tokens.sent}, received ${tokens.received}${tokens.repliesWithoutUsage > 0 ? ` (${tokens.repliesWithoutUsage} replies reported no usage)` : ''} · model ${summary.model} · prompt ${summary.promptVersion}`,
      `score it: winnow eval --dataset ${folder} --config <configuration.yaml>`,
    ];
    if (out.json) out.result(JSON.stringify({ dataset: folder, ...summary }, null, 2));
    else out.result(lines.join('\n'));
    return 0;
  } finally {
    await opened.close();
  }
}

interface GeneratedQuery {
  id: string;
  text: string;
  chunk: Chunk;
}

async function askForQuestions(
  generator: Generator,
  chunks: readonly Chunk[],
  documents: readonly DocumentRecord[],
  options: GenerateCommandOptions,
  model: string,
  onChunk: (done: number) => void,
): Promise<{ queries: GeneratedQuery[]; summary: GenerationSummary }> {
  const titles = new Map(documents.map((d) => [d.id, d.title]));
  const queries: GeneratedQuery[] = [];
  const tokens = { sent: 0, received: 0, repliesWithoutUsage: 0 };
  const dropped = { quotingTheChunk: 0, missing: 0 };
  for (const [i, chunk] of chunks.entries()) {
    const reply = await generator.generate(
      questionMessages(chunk.text, options.questions, titles.get(chunk.documentId)),
    );
    if (reply.usage) {
      tokens.sent += reply.usage.promptTokens;
      tokens.received += reply.usage.completionTokens;
    } else tokens.repliesWithoutUsage += 1;
    const all = parseQuestions(reply.text);
    const kept = all.filter((q) => !quotesPassage(q, chunk.text)).slice(0, options.questions);
    dropped.quotingTheChunk += all.filter((q) => quotesPassage(q, chunk.text)).length;
    // Asked for and not kept: the model gave fewer usable lines, or only quoting ones.
    dropped.missing += options.questions - kept.length;
    for (const [j, text] of kept.entries()) queries.push({ id: `g${i + 1}-${j + 1}`, text, chunk });
    onChunk(i + 1);
  }
  return {
    queries,
    summary: {
      promptVersion: QUESTION_PROMPT_VERSION,
      model,
      seed: options.seed,
      documents: documents.length,
      chunksSampled: chunks.length,
      questionsAsked: chunks.length * options.questions,
      questionsKept: queries.length,
      dropped,
      tokens,
    },
  };
}

/**
 * corpus.jsonl (every document of the collection, its text rebuilt from its chunks), queries.jsonl (each with its
 * source chunk in `metadata.sourceChunk`), qrels/test.tsv (the chunk's document, grade 1) and generation.json.
 */
async function writeDataset(
  folder: string,
  documents: readonly DocumentRecord[],
  byDocument: ReadonlyMap<string, readonly Chunk[]>,
  queries: readonly GeneratedQuery[],
  summary: GenerationSummary,
): Promise<void> {
  await mkdir(join(folder, 'qrels'), { recursive: true });
  const corpus = documents.map((d) =>
    JSON.stringify({
      _id: d.id,
      title: d.title ?? '',
      text: mergeChunkTexts(byDocument.get(d.id) ?? []),
      metadata: { uri: d.uri },
    }),
  );
  await writeFile(join(folder, 'corpus.jsonl'), `${corpus.join('\n')}\n`);
  const lines = queries.map((q) =>
    JSON.stringify({
      _id: q.id,
      text: q.text,
      metadata: {
        sourceChunk: { id: q.chunk.id, documentId: q.chunk.documentId, text: q.chunk.text },
        promptVersion: summary.promptVersion,
      },
    }),
  );
  await writeFile(join(folder, 'queries.jsonl'), `${lines.join('\n')}\n`);
  const qrels = ['query-id\tcorpus-id\tscore', ...queries.map((q) => `${q.id}\t${q.chunk.documentId}\t1`)];
  await writeFile(join(folder, 'qrels', 'test.tsv'), `${qrels.join('\n')}\n`);
  await writeFile(join(folder, 'generation.json'), `${JSON.stringify(summary, null, 2)}\n`);
}
