/**
 * Scale benchmark on the PostgreSQL server (DATABASE_URL): builds a collection of N chunks through the store's
 * own write path, then measures writes, the HNSW build, sizes, dense / lexical / hybrid top-50 latency and
 * HNSW recall@10, each beside a baseline measured in the same run:
 *
 *   writes   store.writeDocuments (in calls of ~10k chunks)  vs one binary COPY of the same rows (bare pg)
 *   queries  store.search (one round trip)                   vs the same SQL through a bare pg client
 *   recall   HNSW at several ef_search                       vs exact search (the index bypassed)
 *
 *   pnpm bench:scale [--chunks 1000000] [--queries 200] [--recall-queries 100] [--m 16] [--ef-construction 128]
 *                    [--halfvec] [--maintenance-work-mem 2GB] [--parallel-workers N] [--out FILE.json]
 *                    [--modes dense,lexical,hybrid] [--skip-copy] [--keep] [--reuse COLLECTION] [--sweep 16:128,24:128]  (m:ef_construction)
 *
 * Text is sampled from SciFact (WINNOW_SCIFACT, default ../shared/datasets/scifact): each synthetic document
 * takes the chunk lengths of a real abstract cut into pieces of at most 180 words, and its words from the
 * vocabulary of its topic's abstracts (70%) and of the whole corpus (30%), so term frequencies are Zipfian and
 * topical. Queries are SciFact claims. Vectors are 384-d, clustered in two levels (64 topics, ~200 chunks per
 * subtopic), so that neighbours exist and ANN recall means something. The collection is dropped at the end.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, readFileSync, type WriteStream, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { chunkId, type StoredDocumentWrite, textHash } from '@winnow/core';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CHUNK_COLUMNS, toChunkRow, writeChunkRow } from '../src/chunk-row.js';
import { BinaryCopyWriter } from '../src/copy-binary.js';
import type { QueryOptions, SqlDriver } from '../src/driver.js';
import {
  collectionTables,
  createPgDriver,
  openPgVectorStore,
  type PgVectorStore,
  type VectorType,
} from '../src/index.js';
import { settingsBatch } from '../src/statement-batch.js';
import { gaussian, normalize, percentile, random } from './data.js';

const DIMENSIONS = 384;
const TOPICS = 64;
const CHUNKS_PER_SUBTOPIC = 200;
const MAX_WORDS_PER_CHUNK = 180;
const K = 50;
const RECALL_K = 10;
/** Chunks per writeDocuments call: bounds the memory the generated rows take. */
const CHUNKS_PER_CALL = 10_000;

export interface ScaleOptions {
  url: string;
  chunks: number;
  queries: number;
  recallQueries: number;
  efSearch: number[];
  m: number;
  efConstruction: number;
  halfvec: boolean;
  maintenanceWorkMem: string;
  /** max_parallel_maintenance_workers for the index build; undefined keeps the server's. */
  parallelWorkers?: number;
  scifact: string;
  /** Recall modes whose latency is measured (all three by default; a parameter sweep may take dense only). */
  modes?: Array<'dense' | 'lexical' | 'hybrid'>;
  /** Further HNSW parameters to rebuild the index with and measure recall for, after the main ones. */
  sweep?: Array<{ m: number; efConstruction: number }>;
  /** Skip the COPY write baseline (a parameter sweep). */
  skipCopy?: boolean;
  /** Keep the measured collection (for experiments on its tables); its name is logged. */
  keep?: boolean;
  /**
   * Measure queries and recall on this kept collection (built by an earlier run with the same --chunks, which fixes
   * the vector space the queries are drawn from) instead of building one: writes and the build are not measured.
   */
  reuse?: string;
  log: (line: string) => void;
}

export interface Latency {
  p50: number;
  p95: number;
  min: number;
  max: number;
}

export interface RecallFigure {
  efSearch: number;
  recallAt10: number;
  latency: Latency;
}

export interface ScaleResult {
  chunks: number;
  documents: number;
  settings: {
    m: number;
    efConstruction: number;
    vectorType: string;
    maintenanceWorkMem: string;
    parallelWorkers?: number;
  };
  load: { before: string; after: string };
  /** Absent when an existing collection was measured (--reuse). */
  write?: { storeMs: number; storeRowsPerSecond: number; copyMs?: number; copyRowsPerSecond?: number; ratio?: number };
  indexBuildMs?: number;
  /** The collection measured instead of building one (--reuse). */
  reused?: string;
  sizes: {
    tableBytes: number;
    totalBytes: number;
    hnswBytes: number;
    lexicalStatisticsBytes: number;
  };
  queries: Partial<
    Record<
      'dense' | 'lexical' | 'hybrid',
      {
        winnow: Latency;
        barePg: Latency;
        /** The store's own message (SET LOCALs and statement, literals inlined) sent through bare pg. */
        barePgBatch?: Latency;
        p95Ratio: number;
        winnowRoundTrips: number;
      }
    >
  > & { denseLangChainStyle?: Latency };
  recall: RecallFigure[];
  /** Other HNSW parameters measured on the same rows and queries (--sweep). */
  sweep?: Array<{ m: number; efConstruction: number; buildMs: number; hnswBytes: number; recall: RecallFigure[] }>;
  exact: Latency;
}

// ---------------------------------------------------------------------------------------------- data

interface Corpus {
  /** Words of all abstracts, with repeats: sampling an index samples by frequency. */
  all: string[];
  /** The same per topic (abstract i belongs to topic i % TOPICS). */
  byTopic: string[][];
  /** Chunk lengths (words) of each abstract cut into pieces of at most MAX_WORDS_PER_CHUNK. */
  pieces: number[][];
  claims: string[];
}

function loadCorpus(folder: string): Corpus {
  const lines = gunzipSync(readFileSync(`${folder}/corpus.jsonl.gz`))
    .toString('utf8')
    .split('\n');
  const all: string[] = [];
  const byTopic: string[][] = Array.from({ length: TOPICS }, () => []);
  const pieces: number[][] = [];
  let i = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const { title, text } = JSON.parse(line) as { title?: string; text: string };
    const words = `${title ?? ''} ${text}`.split(/\s+/).filter((word) => word !== '');
    if (words.length === 0) continue;
    all.push(...words);
    (byTopic[i % TOPICS] as string[]).push(...words);
    const count = Math.ceil(words.length / MAX_WORDS_PER_CHUNK);
    pieces.push(
      Array.from(
        { length: count },
        (_, p) => Math.round(((p + 1) * words.length) / count) - Math.round((p * words.length) / count),
      ),
    );
    i++;
  }
  const claims = readFileSync(`${folder}/queries.jsonl`, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { text: string }).text);
  return { all, byTopic, pieces, claims };
}

/** Unit vectors in two levels of clusters: topics, subtopics around them, chunks around those. */
class VectorSpace {
  private readonly topics: Float32Array[];
  private readonly subtopics: Float32Array[];

  constructor(chunks: number, seed: number) {
    const next = random(seed);
    const unit = () => normalize(Float32Array.from({ length: DIMENSIONS }, () => gaussian(next)));
    this.topics = Array.from({ length: TOPICS }, unit);
    const count = Math.max(TOPICS, Math.round(chunks / CHUNKS_PER_SUBTOPIC));
    // A subtopic has cosine ≈ 0.7 to its topic; a chunk ≈ 0.85 to its subtopic (spreads 1.0 and 0.6).
    this.subtopics = Array.from({ length: count }, (_, s) =>
      this.around(this.topics[s % TOPICS] as Float32Array, 1.0, next),
    );
  }

  get subtopicCount(): number {
    return this.subtopics.length;
  }

  chunk(subtopic: number, next: () => number): Float32Array {
    return this.around(this.subtopics[subtopic] as Float32Array, 0.6, next);
  }

  around(centre: Float32Array, spread: number, next: () => number): Float32Array {
    const scale = spread / Math.sqrt(DIMENSIONS);
    return normalize(centre.map((value) => value + scale * gaussian(next)));
  }
}

/** The collection, generated in slices of about CHUNKS_PER_CALL chunks; the same seed gives the same rows. */
function* documentSlices(corpus: Corpus, space: VectorSpace, chunks: number): Generator<StoredDocumentWrite[]> {
  const next = random(7);
  let written = 0;
  let slice: StoredDocumentWrite[] = [];
  let sliceChunks = 0;
  for (let d = 0; written < chunks; d++) {
    const subtopic = Math.floor(next() * space.subtopicCount);
    const topicWords = corpus.byTopic[subtopic % TOPICS] as string[];
    const lengths = corpus.pieces[Math.floor(next() * corpus.pieces.length)] as number[];
    const id = `scale/doc-${d}.md`;
    const write: StoredDocumentWrite = {
      document: {
        id,
        uri: `file:///${id}`,
        contentHash: textHash(`${id}:${d}`),
        metadata: { topic: subtopic % TOPICS },
      },
      chunks: [],
    };
    for (const [ordinal, length] of lengths.slice(0, chunks - written).entries()) {
      const words: string[] = [];
      for (let w = 0; w < length; w++) {
        const pool = next() < 0.7 ? topicWords : corpus.all;
        words.push(pool[Math.floor(next() * pool.length)] as string);
      }
      const text = words.join(' ');
      const hash = textHash(text);
      write.chunks.push({
        id: chunkId(id, ordinal, hash),
        documentId: id,
        ordinal,
        text,
        headingPath: [],
        tokenCount: Math.round(length * 1.3),
        provenance: { charStart: 0, charEnd: text.length },
        metadata: {},
        hash,
        embedding: space.chunk(subtopic, next),
      });
    }
    written += write.chunks.length;
    sliceChunks += write.chunks.length;
    slice.push(write);
    if (sliceChunks >= CHUNKS_PER_CALL) {
      yield slice;
      slice = [];
      sliceChunks = 0;
    }
  }
  if (slice.length > 0) yield slice;
}

// ---------------------------------------------------------------------------------------------- measuring

function latency(values: number[]): Latency {
  return {
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await fn();
  return [result, performance.now() - started];
}

/** The statement a search sent, recorded so the baseline can send the very same SQL. */
export interface Sent {
  text: string;
  params: readonly unknown[];
  settings: QueryOptions['settings'];
}

/** A driver that remembers the last statement sent through `query` and counts the messages. */
export function recording(driver: SqlDriver): SqlDriver & { last?: Sent; sent: number; dryRun: boolean } {
  const wrapper: SqlDriver & { last?: Sent; sent: number; dryRun: boolean } = Object.create(driver);
  wrapper.sent = 0;
  wrapper.dryRun = false;
  wrapper.query = async (text, params, options) => {
    wrapper.last = { text, params: params ?? [], settings: options?.settings };
    // A dry run only records the statement, so the baseline can send it before the store has run it.
    if (wrapper.dryRun) return { rows: [], rowCount: 0 };
    wrapper.sent++;
    return driver.query(text, params, options);
  };
  return wrapper;
}

async function loadAverage(): Promise<string> {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

/**
 * The COPY baseline's data, encoded to files first so that the timed part is only what a bulk load costs:
 * streaming one binary COPY of the documents and one of the chunks through a bare pg client.
 */
async function encodeCopyFiles(dir: string, slices: Iterable<StoredDocumentWrite[]>, vectorType: VectorType) {
  const files = { documents: join(dir, 'documents.copy'), chunks: join(dir, 'chunks.copy') };
  const documents = createWriteStream(files.documents);
  const chunks = createWriteStream(files.chunks);
  const documentWriter = new BinaryCopyWriter();
  const chunkWriter = new BinaryCopyWriter();
  const drain = async (stream: WriteStream, pieces: Buffer[]) => {
    for (const piece of pieces) if (!stream.write(piece)) await once(stream, 'drain');
  };
  for (const slice of slices) {
    for (const write of slice) {
      documentWriter.row(4);
      documentWriter.text(write.document.id);
      documentWriter.text(write.document.uri);
      documentWriter.text(write.document.contentHash);
      documentWriter.jsonb(JSON.stringify(write.document.metadata));
      for (const chunk of write.chunks) {
        writeChunkRow(chunkWriter, toChunkRow(chunk, write.document.id, DIMENSIONS, vectorType), vectorType);
      }
    }
    await drain(documents, documentWriter.takePieces());
    await drain(chunks, chunkWriter.takePieces());
  }
  await drain(documents, documentWriter.finish());
  await drain(chunks, chunkWriter.finish());
  await Promise.all([new Promise((done) => documents.end(done)), new Promise((done) => chunks.end(done))]);
  return files;
}

async function copyFiles(client: pg.Client, store: PgVectorStore, files: { documents: string; chunks: string }) {
  const tables = collectionTables(store.collection);
  const copy = (target: string, file: string) =>
    pipeline(createReadStream(file), client.query(copyFrom(`copy ${target} from stdin with (format binary)`)));
  await copy(`${tables.documents} (id, uri, content_hash, metadata)`, files.documents);
  await copy(`${tables.chunks} (${CHUNK_COLUMNS.join(', ')})`, files.chunks);
}

/** HNSW recall@10 against the exact top-10 (`truth`, chunk ids per query) at each ef_search. */
async function measureRecall(
  store: PgVectorStore,
  queries: Array<{ vector: Float32Array }>,
  truth: Array<Set<string>>,
  efSearches: number[],
  log: (line: string) => void,
): Promise<RecallFigure[]> {
  const figures: RecallFigure[] = [];
  for (const efSearch of efSearches) {
    let found = 0;
    const ms: number[] = [];
    for (const [i, query] of queries.entries()) {
      const [hits, took] = await timed(() =>
        store.search({ mode: 'dense', k: RECALL_K, vector: query.vector, efSearch }),
      );
      ms.push(took);
      found += hits.filter((hit) => truth[i]?.has(hit.chunk.id)).length;
    }
    const recallAt10 = found / (RECALL_K * queries.length);
    figures.push({ efSearch, recallAt10, latency: latency(ms) });
    log(`  ef_search ${efSearch}: recall@10 ${recallAt10.toFixed(3)}, p50 ${percentile(ms, 50).toFixed(1)} ms`);
  }
  return figures;
}

export async function runScaleBench(options: ScaleOptions): Promise<ScaleResult> {
  const log = options.log;
  const before = await loadAverage();
  const corpus = loadCorpus(options.scifact);
  const space = new VectorSpace(options.chunks, 1);
  const run = `scale_${process.pid}_${Date.now().toString(36)}`;
  const driver = createPgDriver({
    url: options.url,
    setting: 'DATABASE_URL',
    maxConnections: 4,
    statementTimeoutMs: 0,
  });
  const recorder = recording(driver);
  const bare = new pg.Client({ connectionString: options.url });
  await bare.connect();
  const open = (suffix: string) =>
    openPgVectorStore({
      driver: recorder,
      collection: `${run}_${suffix}`,
      modelId: 'scale-384',
      dimensions: DIMENSIONS,
      halfvec: options.halfvec,
      deferIndex: true,
      index: { type: 'hnsw', m: options.m, efConstruction: options.efConstruction },
      maintenanceWorkMem: options.maintenanceWorkMem,
    });
  /** Sizes, query latencies, recall (and any sweep) of a built collection. */
  async function measure(
    store: PgVectorStore,
    documents: number,
    built: Pick<ScaleResult, 'write' | 'indexBuildMs' | 'reused'>,
  ): Promise<ScaleResult> {
    const tables = collectionTables(store.collection);
    // Lexical statistics tables (maintained BM25, where the schema has them) count as lexical index size.
    const { rows: sizeRows } = await driver.query<{
      table: string;
      total: string;
      hnsw: string;
      lexical: string;
    }>(
      `select pg_relation_size($1::regclass)::text as table, pg_total_relation_size($1::regclass)::text as total,
           pg_relation_size($2::regclass)::text as hnsw,
           (select coalesce(sum(pg_total_relation_size(oid)), 0) from pg_class
            where relkind = 'r' and relname like $3 and relnamespace = current_schema()::regnamespace)::text as lexical`,
      [tables.chunks, `"${tables.vectorIndex}"`, `${store.collection}\\_bm25\\_%`],
    );
    const sizeRow = sizeRows[0] as { table: string; total: string; hnsw: string; lexical: string };
    const sizes = {
      tableBytes: Number(sizeRow.table),
      totalBytes: Number(sizeRow.total),
      hnswBytes: Number(sizeRow.hnsw),
      lexicalStatisticsBytes: Number(sizeRow.lexical),
    };

    // Queries: a SciFact claim as text and a vector near a stored chunk's subtopic.
    const next = random(11);
    const queries = Array.from({ length: options.queries }, (_, i) => ({
      text: corpus.claims[i % corpus.claims.length] as string,
      vector: space.chunk(Math.floor(next() * space.subtopicCount), next),
    }));
    const modes = options.modes ?? (['dense', 'lexical', 'hybrid'] as const);
    const measured = {} as ScaleResult['queries'];
    const langchain: number[] = [];
    for (const mode of modes) {
      log(`${mode} top-${K}: ${queries.length} queries, store.search and the same SQL through bare pg`);
      const winnow: number[] = [];
      const barePg: number[] = [];
      const bareBatch: number[] = [];
      let sessionSettings = '';
      let roundTrips = 0;
      // The first query of each kind warms caches and is not measured.
      for (const [i, query] of [queries[0], ...queries].entries()) {
        const request = { mode, k: K, vector: query?.vector, text: query?.text };
        recorder.dryRun = true;
        await store.search(request);
        recorder.dryRun = false;
        const sent = recorder.last as Sent;
        recorder.sent = 0;
        const viaStore = () => timed(() => store.search(request, { signal: new AbortController().signal }));
        // The query's pages are cached by whichever runs first, so the two alternate in going first.
        const early = i % 2 === 1 ? undefined : await viaStore();
        // A hand-written client sets its index settings once per session, then sends the bare statement.
        const settings = (sent.settings ?? [])
          .map(([name, value]) => `set ${name} = ${pg.escapeLiteral(value)}`)
          .join('; ');
        if (settings !== sessionSettings) {
          if (settings !== '') await bare.query(settings);
          sessionSettings = settings;
        }
        const [, bareMs] = await timed(() => bare.query(sent.text, [...sent.params]));
        // The very message the store sends (SET LOCALs and the statement), through bare pg: what is left of
        // the difference is the store's own work in JS.
        const [, batchMs] =
          sent.settings === undefined || sent.settings.length === 0
            ? [undefined, Number.NaN]
            : await timed(() => bare.query(settingsBatch(sent.settings ?? [], sent.text, sent.params)));
        const [, ms] = early ?? (await viaStore());
        roundTrips = Math.max(roundTrips, recorder.sent);
        let langchainMs = 0;
        if (mode === 'dense') {
          [, langchainMs] = await timed(() =>
            bare.query(
              `select id, text, metadata, embedding <=> $1 as distance from ${tables.chunks} order by embedding <=> $1 limit ${K}`,
              [`[${Array.from(query?.vector ?? []).join(',')}]`],
            ),
          );
        }
        if (i === 0) continue;
        winnow.push(ms);
        barePg.push(bareMs);
        if (!Number.isNaN(batchMs)) bareBatch.push(batchMs);
        if (mode === 'dense') langchain.push(langchainMs);
      }
      const w = latency(winnow);
      const b = latency(barePg);
      measured[mode] = {
        winnow: w,
        barePg: b,
        ...(bareBatch.length > 0 ? { barePgBatch: latency(bareBatch) } : {}),
        p95Ratio: w.p95 / b.p95,
        winnowRoundTrips: roundTrips,
      };
      log(
        `  winnow p50 ${w.p50.toFixed(1)} ms p95 ${w.p95.toFixed(1)} ms; bare pg p50 ${b.p50.toFixed(1)} p95 ${b.p95.toFixed(1)}`,
      );
    }
    if (langchain.length > 0) measured.denseLangChainStyle = latency(langchain);

    // Recall@10 against exact search, on the first recallQueries queries.
    const recallQueries = queries.slice(0, options.recallQueries);
    log(`recall@${RECALL_K}: ${recallQueries.length} queries, exact search as the truth`);
    const exactMs: number[] = [];
    const truth: Array<Set<string>> = [];
    for (const query of recallQueries) {
      const [hits, ms] = await timed(() =>
        store.search({ mode: 'dense', k: RECALL_K, vector: query.vector, exact: true }),
      );
      exactMs.push(ms);
      truth.push(new Set(hits.map((hit) => hit.chunk.id)));
    }
    const recall = await measureRecall(store, recallQueries, truth, options.efSearch, log);
    // Other HNSW parameters: the same rows and queries, the index rebuilt with each.
    const sweep: NonNullable<ScaleResult['sweep']> = [];
    for (const { m, efConstruction } of options.sweep ?? []) {
      log(`rebuilding HNSW with m=${m}, ef_construction=${efConstruction}`);
      const other = await openPgVectorStore({
        driver: recorder,
        collection: store.collection,
        index: { type: 'hnsw', m, efConstruction },
        maintenanceWorkMem: options.maintenanceWorkMem,
      });
      const rebuilt = await other.buildIndex({
        rebuild: true,
        ...(options.parallelWorkers === undefined ? {} : { parallelWorkers: options.parallelWorkers }),
      });
      const { rows } = await driver.query<{ bytes: string }>('select pg_relation_size($1::regclass)::text as bytes', [
        `"${tables.vectorIndex}"`,
      ]);
      log(`  ${(rebuilt.ms / 1000).toFixed(1)} s`);
      sweep.push({
        m,
        efConstruction,
        buildMs: rebuilt.ms,
        hnswBytes: Number(rows[0]?.bytes),
        recall: await measureRecall(other, recallQueries, truth, options.efSearch, log),
      });
    }
    return {
      chunks: options.chunks,
      documents,
      settings: {
        m: options.m,
        efConstruction: options.efConstruction,
        vectorType: store.vectorType,
        maintenanceWorkMem: options.maintenanceWorkMem,
        ...(options.parallelWorkers === undefined ? {} : { parallelWorkers: options.parallelWorkers }),
      },
      load: { before, after: await loadAverage() },
      ...built,
      sizes,
      queries: measured,
      recall,
      exact: latency(exactMs),
      ...(sweep.length > 0 ? { sweep } : {}),
    };
  }

  /** --reuse: a collection kept by an earlier run; opened as it is, never dropped. */
  async function measureCollection(name: string): Promise<ScaleResult> {
    log(`measuring the kept collection ${name}`);
    const store = await openPgVectorStore({ driver: recorder, collection: name });
    const { documents } = await store.counts();
    return measure(store, documents, { reused: name });
  }

  const stores: PgVectorStore[] = [];
  const tmp = await mkdtemp(join(tmpdir(), 'winnow-scale-'));
  try {
    // Writes: the store's path, then the bare COPY of the same rows into a second, empty collection.
    if (options.reuse !== undefined) return await measureCollection(options.reuse);
    log(`writing ${options.chunks.toLocaleString('en')} chunks through store.writeDocuments`);
    const store = await open('c');
    stores.push(store);
    let documents = 0;
    let storeMs = 0;
    for (const slice of documentSlices(corpus, space, options.chunks)) {
      const [, ms] = await timed(() => store.writeDocuments(slice));
      storeMs += ms;
      documents += slice.length;
    }
    const write: ScaleResult['write'] = { storeMs, storeRowsPerSecond: options.chunks / (storeMs / 1000) };
    if (options.skipCopy !== true) {
      const baseline = await open('copy');
      stores.push(baseline);
      log('writing the same rows with one binary COPY through bare pg');
      const files = await encodeCopyFiles(tmp, documentSlices(corpus, space, options.chunks), baseline.vectorType);
      const [, copyMs] = await timed(() => copyFiles(bare, baseline, files));
      await rm(tmp, { recursive: true, force: true });
      await baseline.drop();
      stores.pop();
      Object.assign(write, { copyMs, copyRowsPerSecond: options.chunks / (copyMs / 1000), ratio: storeMs / copyMs });
    }
    log(
      `  store ${Math.round(write.storeRowsPerSecond)} rows/s, COPY ${Math.round(write.copyRowsPerSecond ?? Number.NaN)} rows/s`,
    );

    log(`building HNSW (m=${options.m}, ef_construction=${options.efConstruction})`);
    const build = await store.buildIndex({
      ...(options.parallelWorkers === undefined ? {} : { parallelWorkers: options.parallelWorkers }),
    });
    log(`  ${(build.ms / 1000).toFixed(1)} s`);
    return await measure(store, documents, { write, indexBuildMs: build.ms });
  } finally {
    await rm(tmp, { recursive: true, force: true });
    for (const store of stores) {
      if (options.keep === true && store === stores[0]) log(`kept collection ${store.collection}`);
      else await store.drop();
    }
    await bare.end();
    await driver.close();
  }
}

// ---------------------------------------------------------------------------------------------- report

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const ms = (l: Latency): string => `${l.p50.toFixed(1)} / ${l.p95.toFixed(1)} ms`;

/** The result as a Markdown table. */
export function formatScaleResult(r: ScaleResult): string {
  const w = r.write;
  const copy =
    w?.copyRowsPerSecond === undefined
      ? 'not measured'
      : `one binary COPY, bare pg: ${Math.round(w.copyRowsPerSecond).toLocaleString('en')} chunks/s (${((w.copyMs ?? 0) / 1000).toFixed(1)} s); ratio ${(w.ratio ?? 0).toFixed(2)}×`;
  const rows: Array<[string, string, string]> = [];
  if (w !== undefined) {
    rows.push([
      'write (store.writeDocuments)',
      `${Math.round(w.storeRowsPerSecond).toLocaleString('en')} chunks/s (${(w.storeMs / 1000).toFixed(1)} s)`,
      copy,
    ]);
  }
  if (r.indexBuildMs !== undefined) {
    rows.push([
      'HNSW build',
      `${(r.indexBuildMs / 1000).toFixed(1)} s`,
      `m=${r.settings.m}, ef_construction=${r.settings.efConstruction}, ${r.settings.vectorType}, maintenance_work_mem ${r.settings.maintenanceWorkMem}`,
    ]);
  }
  rows.push([
    'sizes',
    `table ${mb(r.sizes.tableBytes)}, total ${mb(r.sizes.totalBytes)}`,
    `HNSW ${mb(r.sizes.hnswBytes)}, BM25 statistics tables ${mb(r.sizes.lexicalStatisticsBytes)}`,
  ]);
  for (const mode of ['dense', 'lexical', 'hybrid'] as const) {
    const q = r.queries[mode];
    if (q === undefined) continue;
    const batch = q.barePgBatch === undefined ? '' : `; the store's SET LOCAL batch, bare pg: ${ms(q.barePgBatch)}`;
    rows.push([
      `${mode} top-50 p50 / p95`,
      ms(q.winnow),
      `same SQL, bare pg: ${ms(q.barePg)}; p95 ratio ${q.p95Ratio.toFixed(2)}; ${q.winnowRoundTrips} round trip(s)${batch}`,
    ]);
  }
  if (r.queries.denseLangChainStyle !== undefined) {
    rows.push([
      'dense top-50, LangChain.js-style query',
      ms(r.queries.denseLangChainStyle),
      'bare pg, session ef_search',
    ]);
  }
  rows.push(['exact dense top-10 (index bypassed)', ms(r.exact), 'the recall truth']);
  for (const { efSearch, recallAt10, latency } of r.recall) {
    rows.push([`HNSW recall@10, ef_search ${efSearch}`, recallAt10.toFixed(3), `top-10 p50 / p95 ${ms(latency)}`]);
  }
  for (const other of r.sweep ?? []) {
    const figures = other.recall.map((f) => `ef ${f.efSearch}: ${f.recallAt10.toFixed(3)} (${ms(f.latency)})`);
    rows.push([
      `HNSW m=${other.m}, ef_construction=${other.efConstruction}`,
      `build ${(other.buildMs / 1000).toFixed(1)} s, ${mb(other.hnswBytes)}`,
      `recall@10 ${figures.join('; ')}`,
    ]);
  }
  const reused = r.reused === undefined ? '' : ` (the kept collection ${r.reused}: queries only)`;
  const head = `${r.chunks.toLocaleString('en')} chunks in ${r.documents.toLocaleString('en')} documents${reused}; load ${r.load.before} → ${r.load.after}`;
  return [
    head,
    '',
    '| measure | winnow | baseline / notes |',
    '| --- | --- | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      chunks: { type: 'string', default: '1000000' },
      queries: { type: 'string', default: '200' },
      'recall-queries': { type: 'string', default: '100' },
      'ef-search': { type: 'string', default: '40,100,200' },
      m: { type: 'string', default: '16' },
      'ef-construction': { type: 'string', default: '128' },
      halfvec: { type: 'boolean', default: false },
      'maintenance-work-mem': { type: 'string', default: '2GB' },
      'parallel-workers': { type: 'string' },
      out: { type: 'string' },
      modes: { type: 'string', default: 'dense,lexical,hybrid' },
      'skip-copy': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      reuse: { type: 'string' },
      sweep: { type: 'string' },
    },
  });
  const integer = (name: string, value: string | undefined): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: expected a non-negative integer, got ${value}`);
    return n;
  };
  const options: ScaleOptions = {
    url: process.env.DATABASE_URL ?? 'postgres://winnow:winnow@127.0.0.1:5432/winnow_test',
    chunks: integer('chunks', values.chunks),
    queries: integer('queries', values.queries),
    recallQueries: integer('recall-queries', values['recall-queries']),
    efSearch: (values['ef-search'] ?? '').split(',').map((v) => integer('ef-search', v)),
    m: integer('m', values.m),
    efConstruction: integer('ef-construction', values['ef-construction']),
    halfvec: values.halfvec === true,
    maintenanceWorkMem: values['maintenance-work-mem'] as string,
    scifact: defaultScifact(),
    modes: (values.modes ?? '').split(',').map((mode) => {
      if (mode !== 'dense' && mode !== 'lexical' && mode !== 'hybrid') throw new Error(`--modes: unknown mode ${mode}`);
      return mode;
    }),
    skipCopy: values['skip-copy'] === true,
    keep: values.keep === true,
    ...(values.reuse === undefined ? {} : { reuse: values.reuse }),
    // --sweep 16:128,24:128: m:ef_construction pairs.
    sweep: (values.sweep ?? '')
      .split(',')
      .filter((pair) => pair !== '')
      .map((pair) => {
        const [m, efConstruction] = pair.split(':');
        return { m: integer('sweep', m), efConstruction: integer('sweep', efConstruction) };
      }),
    log: (line) => console.log(line),
  };
  if (values['parallel-workers'] !== undefined)
    options.parallelWorkers = integer('parallel-workers', values['parallel-workers']);
  const result = await runScaleBench(options);
  console.log(`\n${formatScaleResult(result)}`);
  if (values.out !== undefined) {
    writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote ${values.out}`);
  }
}

export function defaultScifact(): string {
  return process.env.WINNOW_SCIFACT ?? fileURLToPath(new URL('../../../../shared/datasets/scifact', import.meta.url));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
