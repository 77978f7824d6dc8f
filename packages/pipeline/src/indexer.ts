import {
  type CallOptions,
  type Chunk,
  type Chunker,
  type DocumentRecord,
  type EmbeddedChunk,
  type Embedder,
  type ErrorCode,
  type IngestFailure,
  isAbortError,
  isRejection,
  isWinnowError,
  type LoaderLookup,
  type ParsedDocument,
  type SourceDocument,
  type SourceItem,
  throwIfAborted,
  toWinnowError,
  type VectorStore,
  WinnowError,
  withinBudget,
} from '@winnow/core';
import { pipelined } from './pipelined.js';
import { writeGroup } from './write-group.js';

export type { SourceItem } from '@winnow/core';

/** A document that could not be indexed, with the reason; its previously indexed version is kept. */
export type SourceFailure = IngestFailure;

/** Parses any source document (e.g. one BEIR record format). */
export type LoadFunction = (source: SourceDocument, options?: CallOptions) => Promise<ParsedDocument>;

export interface IndexerOptions {
  /** Loaders chosen by media type (e.g. ingest's `defaultLoaders()`), or one function that parses any source. */
  loaders: LoaderLookup | LoadFunction;
  chunker: Chunker;
  embedder: Embedder;
  store: VectorStore;
  /** Chunks gathered across documents before one embedding call; bounds memory. Default 256. */
  embedBatchChunks?: number;
  /**
   * Most time one document may take to load and chunk (config `ingest.maxDocumentMs`); over it, that document fails
   * with E_TIMEOUT and the run goes on. Default: no limit.
   */
  maxDocumentMs?: number;
  onProgress?: (event: IndexProgress) => void;
}

export interface IndexProgress {
  phase: 'scan' | 'write' | 'delete' | 'done';
  documents: { seen: number; written: number; unchanged: number; failed: number };
  chunks: number;
  tokens: number;
  elapsedMs: number;
  /** Tokens embedded per second so far. */
  tokensPerSecond: number;
  current?: string;
}

export interface RunReport {
  added: string[];
  changed: string[];
  deleted: string[];
  unchanged: number;
  failures: SourceFailure[];
  /**
   * Folders the source could not list (their URIs; each is also in `failures`) and the stored documents under them,
   * kept as they were: unknown, not gone, so `deleteMissing` leaves them alone.
   */
  unknown: { folders: string[]; kept: string[] };
  chunks: { written: number; embedded: number; reused: number };
  tokens: number;
  durationsMs: { load: number; chunk: number; embed: number; store: number; delete: number; total: number };
}

export interface IndexRunOptions extends CallOptions {
  /**
   * Delete stored documents that the source no longer has. Default false: a run over part of a collection (one
   * file, one folder) adds and updates only. Set it when the source is the whole collection (`winnow reindex`).
   */
  deleteMissing?: boolean;
  /** When another run holds the lock: wait for it (true) or fail with E_LOCKED (false, default). */
  waitForLock?: boolean;
  /**
   * Take the store's reindex lock for this run (default true). False when the caller already holds it or writes
   * under a lock another process holds (the distributed planner and its workers, which scope the store's lock check
   * themselves, e.g. `PgVectorStore.withLockHeldBy`).
   */
  takeLock?: boolean;
  /**
   * Plan only: nothing is loaded, written or deleted. Each added or changed document is handed to this function
   * (and listed in the report as usual); with `deleteMissing`, the report's `deleted` lists what a run would delete.
   * The distributed planner enqueues what it is handed.
   */
  planOnly?: (document: SourceDocument, kind: 'added' | 'changed') => void | Promise<void>;
  /**
   * The stored documents to compare the source with, when the caller has them: a distributed worker passes its
   * batch's, so a run over a few documents does not list the whole collection. Default: every stored document.
   */
  stored?: readonly DocumentRecord[];
  /**
   * Build the store's ANN index at the end when chunks were written (default true). A distributed worker passes
   * false: its runs are one batch each, and its planner builds the index once after every worker is done.
   */
  buildIndex?: boolean;
}

export interface Indexer {
  /** Brings the store in line with the source: adds and replaces (deletes with `deleteMissing`); skips unchanged. */
  run(sources: AsyncIterable<SourceItem> | Iterable<SourceItem>, options?: IndexRunOptions): Promise<RunReport>;
}

/** A document loaded and chunked, waiting for its embeddings. */
interface Prepared {
  source: SourceDocument;
  kind: 'added' | 'changed';
  parsed: ParsedDocument;
  chunks: Chunk[];
}

export const REINDEX_LOCK = 'winnow-reindex';

/** Batches loaded and chunked ahead of the one being embedded and written. */
const QUEUED_BATCHES = 2;
/** The most documents one write call carries; the embedding batch (`embedBatchChunks`) bounds it first. */
const MAX_WRITE_GROUP = 4096;

/** What one run has done so far: the report, plus the bookkeeping progress events read. */
interface RunState {
  report: RunReport;
  seen: Set<string>;
  /** Prefixes (URIs and ids, each ending in `/`) of subtrees the source could not read. */
  unknownPrefixes: string[];
  started: number;
  signal: AbortSignal | undefined;
  /** Documents in the next write call (see `write`). */
  writeGroup: number;
  /** New id → stored ids of the same URI: the same file reached from another root (see `deleteSuperseded`). */
  superseded: Map<string, string[]>;
}

/**
 * Incremental, crash-safe indexing, in named parts: `plan` (skip what is unchanged), `prepare` (load and chunk one
 * document), `embedBatch` (reuse stored embeddings by chunk hash, embed the rest), `write` (one transaction per
 * document), `deleteMissing` (opt-in) and the report. A run killed at any point leaves every document at its old or
 * its new version; the next run converges. Deletions happen only after the whole source was read, so a failed walk
 * never deletes anything, and a folder the walk could not read keeps every document under it (unknown, not gone). A document that fails to load, chunk or embed keeps its previously indexed version and is
 * reported with the failing stage's code (E_PARSE, E_CHUNK_FAILED, E_EMBED_FAILED, E_DB_QUERY, …).
 */
export function createIndexer(options: IndexerOptions): Indexer {
  const batchChunks = options.embedBatchChunks ?? 256;
  const load = typeof options.loaders === 'function' ? options.loaders : loaderByMediaType(options.loaders);

  function progress(state: RunState, phase: IndexProgress['phase'], current?: string) {
    if (!options.onProgress) return;
    const { report } = state;
    const elapsedMs = performance.now() - state.started;
    options.onProgress({
      phase,
      documents: {
        seen: state.seen.size,
        written: report.added.length + report.changed.length,
        unchanged: report.unchanged,
        failed: report.failures.length,
      },
      chunks: report.chunks.written,
      tokens: report.tokens,
      elapsedMs,
      tokensPerSecond: elapsedMs > 0 ? (report.tokens * 1000) / elapsedMs : 0,
      ...(current === undefined ? {} : { current }),
    });
  }

  /** Records a document's failure under the code of the stage that failed; an abort ends the run. */
  function fail(state: RunState, source: { id: string; uri: string }, error: unknown, stageCode: ErrorCode) {
    // A lost lock is no document's fault: writing on would run beside another holder, so the run stops.
    if (isAbortError(error) || isWinnowError(error, 'E_LOCK_LOST')) throw error;
    const e = toWinnowError(error, stageCode, { file: source.uri });
    state.report.failures.push({ id: source.id, uri: source.uri, code: e.code, message: e.message });
  }

  /** Times `step` into one of the report's durations. */
  async function timed<T>(state: RunState, key: keyof RunReport['durationsMs'], step: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await step();
    } finally {
      state.report.durationsMs[key] += performance.now() - t;
    }
  }

  /**
   * Loads and chunks one document within `maxDocumentMs`, or records why it could not be (and returns undefined):
   * a document over its budget fails with E_TIMEOUT and the run goes on.
   */
  async function prepare(state: RunState, source: SourceDocument, kind: Prepared['kind']) {
    const budget = options.maxDocumentMs;
    if (budget === undefined) return prepareWithin(state, source, kind, state.signal);
    try {
      return await withinBudget(budget, { file: source.uri, signal: state.signal }, (signal) =>
        prepareWithin(state, source, kind, signal),
      );
    } catch (error) {
      fail(state, source, error, 'E_TIMEOUT');
      return undefined;
    }
  }

  async function prepareWithin(state: RunState, source: SourceDocument, kind: Prepared['kind'], signal?: AbortSignal) {
    let parsed: ParsedDocument;
    try {
      parsed = await timed(state, 'load', () => load(source, { signal }));
    } catch (error) {
      // Once the budget (or the run) is aborted, the caller reports it: work still running must not report twice.
      if (signal?.aborted) throw error;
      fail(state, source, error, 'E_PARSE');
      return undefined;
    }
    try {
      const chunks = await timed(state, 'chunk', () => options.chunker.chunk(parsed, { signal }));
      return { source, kind, parsed, chunks } satisfies Prepared;
    } catch (error) {
      if (signal?.aborted) throw error;
      fail(state, source, error, 'E_CHUNK_FAILED');
      return undefined;
    }
  }

  /**
   * Vectors for every chunk of the batch by chunk hash: stored ones reused, the rest embedded in one call. An
   * embedder that throws, or answers with the wrong number of vectors, is retried document by document, so only the
   * documents it fails on are reported (E_EMBED_FAILED); returns the documents that have all their vectors.
   */
  async function embedBatch(
    state: RunState,
    batch: Prepared[],
  ): Promise<{ ready: Prepared[]; vectors: Map<string, Float32Array> }> {
    const { report, signal } = state;
    const all = batch.flatMap((p) => p.chunks);
    const vectors = await options.store.embeddingsByHash([...new Set(all.map((c) => c.hash))], { signal });
    const reused = all.filter((c) => vectors.has(c.hash)).length;
    const toEmbed = new Map<string, string>();
    for (const chunk of all) if (!vectors.has(chunk.hash)) toEmbed.set(chunk.hash, chunk.embedText ?? chunk.text);
    if (toEmbed.size > 0) {
      const hashes = [...toEmbed.keys()];
      try {
        const result = await options.embedder.embed([...toEmbed.values()], { inputType: 'document', signal });
        if (result.vectors.length !== hashes.length) {
          throw new WinnowError(
            'E_EMBED_FAILED',
            `the embedder returned ${result.vectors.length} vectors for ${hashes.length} texts`,
            { setting: options.embedder.modelId },
          );
        }
        for (const [i, hash] of hashes.entries()) vectors.set(hash, result.vectors[i] as Float32Array);
        report.tokens += result.tokens ?? 0;
        report.chunks.embedded += hashes.length;
      } catch (error) {
        if (isAbortError(error)) throw error;
        if (batch.length === 1) {
          for (const p of batch) fail(state, p.source, error, 'E_EMBED_FAILED');
          return { ready: [], vectors };
        }
        // One bad text must not sink the batch: embed document by document to find the culprits.
        const ready: Prepared[] = [];
        for (const p of batch) {
          const one = await embedBatch(state, [p]);
          ready.push(...one.ready);
          for (const [hash, vector] of one.vectors) vectors.set(hash, vector);
        }
        return { ready, vectors };
      }
    }
    report.chunks.reused += reused;
    return { ready: batch, vectors };
  }

  /**
   * Writes a batch's documents, many per `replaceDocuments` call (`writeGroup`: a failed call is retried document
   * by document, reporting E_DB_QUERY or the store's code). The first call of a run writes one document and each
   * next call twice as many, up to the whole batch: a small incremental run commits nearly document by document (a
   * run killed midway keeps what it wrote), a large one soon writes whole batches.
   */
  async function write(state: RunState, ready: Prepared[], vectors: Map<string, Float32Array>) {
    for (let start = 0; start < ready.length; ) {
      const group = ready.slice(start, start + state.writeGroup);
      start += group.length;
      state.writeGroup = Math.min(state.writeGroup * 2, MAX_WRITE_GROUP);
      await writeGroup(
        options.store,
        group.map((p) => ({ p, write: { document: toRecord(p), chunks: embedded(p, vectors) } })),
        state.signal,
        ({ p, write }) => {
          state.report[p.kind].push(p.source.id);
          state.report.chunks.written += write.chunks.length;
        },
        ({ p }, error) => fail(state, p.source, error, 'E_DB_QUERY'),
      );
    }
  }

  /**
   * Decides what one source item needs: a rejection or a duplicate id is reported, an unchanged document counted;
   * a new or changed one is handed to `planOnly` or loaded and chunked (undefined when there is nothing to embed).
   */
  async function plan(
    state: RunState,
    stored: ReadonlyMap<string, DocumentRecord>,
    byUri: ReadonlyMap<string, string[]>,
    item: SourceItem,
    runOptions: IndexRunOptions,
  ): Promise<Prepared | undefined> {
    const { report } = state;
    if (isRejection(item)) {
      state.seen.add(item.rejected.id);
      report.failures.push(item.rejected);
      if (item.subtree === true) {
        report.unknown.folders.push(item.rejected.uri);
        state.unknownPrefixes.push(withSlash(item.rejected.uri), withSlash(item.rejected.id));
      }
      return undefined;
    }
    if (state.seen.has(item.id)) {
      fail(state, item, new WinnowError('E_DATASET_INVALID', `duplicate document id ${item.id}`), 'E_DATASET_INVALID');
      return undefined;
    }
    state.seen.add(item.id);
    const sameUri = (byUri.get(item.uri) ?? []).filter((id) => id !== item.id);
    if (sameUri.length > 0) state.superseded.set(item.id, sameUri);
    const previous = stored.get(item.id)?.contentHash;
    if (previous === item.contentHash) {
      report.unchanged++;
      return undefined;
    }
    const kind = previous === undefined ? 'added' : 'changed';
    if (runOptions.planOnly) {
      report[kind].push(item.id);
      await runOptions.planOnly(item, kind);
      return undefined;
    }
    return prepare(state, item, kind);
  }

  async function flush(state: RunState, batch: Prepared[]) {
    if (batch.length === 0) return;
    const { ready, vectors } = await timed(state, 'embed', () => embedBatch(state, batch));
    await timed(state, 'store', () => write(state, ready, vectors));
    progress(state, 'write');
  }

  /**
   * Removes stored documents the source did not yield (only after it was read to the end), except those under a
   * folder it could not read: their absence says nothing, so they are kept and reported.
   */
  async function deleteMissing(state: RunState, stored: ReadonlyMap<string, DocumentRecord>, planOnly: boolean) {
    const missing: string[] = [];
    for (const [id, document] of stored) {
      if (state.seen.has(id)) continue;
      if (isUnknown(state.unknownPrefixes, document)) state.report.unknown.kept.push(id);
      else missing.push(id);
    }
    if (planOnly) state.report.deleted.push(...missing);
    else if (missing.length > 0) {
      await timed(state, 'delete', () => options.store.deleteDocuments(missing, { signal: state.signal }));
      state.report.deleted.push(...missing);
    }
    progress(state, 'delete');
  }

  /**
   * Removes a stored document whose file was written this run under another id: `winnow index docs/sub/b.md` (id
   * `b.md`) and then `winnow index docs` (id `sub/b.md`) reach one file from two roots, and would otherwise leave it
   * twice in every result. Only once the new id is stored (written, or unchanged: a duplicate left by an earlier
   * version goes too; a failure keeps the old), and never an id the source also yielded this run (a different file
   * that now holds that id).
   */
  async function deleteSuperseded(state: RunState) {
    const failed = new Set(state.report.failures.map((failure) => failure.id));
    const gone = [...state.superseded]
      .filter(([id]) => !failed.has(id))
      .flatMap(([, earlier]) => earlier.filter((id) => !state.seen.has(id)));
    if (gone.length === 0) return;
    await timed(state, 'delete', () => options.store.deleteDocuments(gone, { signal: state.signal }));
    state.report.deleted.push(...gone);
  }

  async function runUnlocked(
    sources: AsyncIterable<SourceItem> | Iterable<SourceItem>,
    runOptions: IndexRunOptions,
  ): Promise<RunReport> {
    const state: RunState = {
      report: emptyReport(),
      seen: new Set(),
      unknownPrefixes: [],
      started: performance.now(),
      signal: runOptions.signal,
      writeGroup: 1,
      superseded: new Map(),
    };
    try {
      return await runSteps(sources, runOptions, state);
    } catch (error) {
      if (!isWinnowError(error, 'E_LOCK_LOST')) throw error;
      // Everything committed before the check failed stays; the error says what that was.
      const { report } = state;
      throw new WinnowError('E_LOCK_LOST', error.message.replace(/^E_LOCK_LOST: (setting [^:]*: )?/, ''), {
        setting: error.setting,
        cause: error,
        hint: error.hint,
        details: {
          ...error.details,
          written: { added: report.added, changed: report.changed, deleted: report.deleted },
          chunksWritten: report.chunks.written,
        },
      });
    }
  }

  async function runSteps(
    sources: AsyncIterable<SourceItem> | Iterable<SourceItem>,
    runOptions: IndexRunOptions,
    state: RunState,
  ): Promise<RunReport> {
    const { report } = state;
    // What is stored, by content hash: unchanged documents are skipped.
    const stored = new Map(
      (runOptions.stored ?? (await options.store.listDocuments({ signal: state.signal }))).map((d) => [d.id, d]),
    );
    const byUri = new Map<string, string[]>();
    for (const document of stored.values()) byUri.set(document.uri, [...(byUri.get(document.uri) ?? []), document.id]);
    // Loading and chunking run ahead of embedding and writing, a few batches at most (memory stays bounded).
    await pipelined<Prepared[]>(
      QUEUED_BATCHES,
      async (push, stopped) => {
        let pending: Prepared[] = [];
        let pendingChunks = 0;
        const send = async () => {
          if (pending.length > 0) await push(pending);
          pending = [];
          pendingChunks = 0;
        };
        for await (const item of sources) {
          throwIfAborted(state.signal, 'indexing');
          if (stopped()) return;
          const prepared = await plan(state, stored, byUri, item, runOptions);
          if (!prepared) continue;
          progress(state, 'scan', prepared.source.id);
          // A document as large as a batch goes alone, so a batch stays within one store transaction (2,000 chunks
          // by default) and a failure tells exactly which documents were written.
          if (prepared.chunks.length >= batchChunks) await send();
          pending.push(prepared);
          pendingChunks += prepared.chunks.length;
          if (pendingChunks >= batchChunks) await send();
        }
        await send();
      },
      (batch) => flush(state, batch),
    );
    if (report.chunks.written > 0 && options.store.buildIndex && runOptions.buildIndex !== false) {
      await timed(state, 'store', async () => options.store.buildIndex?.());
    }
    if (runOptions.deleteMissing === true) await deleteMissing(state, stored, runOptions.planOnly !== undefined);
    if (runOptions.planOnly === undefined) await deleteSuperseded(state);
    report.durationsMs.total = performance.now() - state.started;
    for (const key of Object.keys(report.durationsMs) as (keyof RunReport['durationsMs'])[]) {
      report.durationsMs[key] = Math.round(report.durationsMs[key]);
    }
    progress(state, 'done');
    return report;
  }

  return {
    run(sources, runOptions = {}) {
      const body = () => runUnlocked(sources, runOptions);
      if (options.store.withLock && runOptions.takeLock !== false) {
        return options.store.withLock(REINDEX_LOCK, body, { wait: runOptions.waitForLock ?? false });
      }
      return body();
    },
  };
}

function emptyReport(): RunReport {
  return {
    added: [],
    changed: [],
    deleted: [],
    unchanged: 0,
    failures: [],
    unknown: { folders: [], kept: [] },
    chunks: { written: 0, embedded: 0, reused: 0 },
    tokens: 0,
    durationsMs: { load: 0, chunk: 0, embed: 0, store: 0, delete: 0, total: 0 },
  };
}

function withSlash(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** Whether a stored document lies under an unread folder, by URI or by id (ids of a folder source are paths). */
function isUnknown(prefixes: readonly string[], document: DocumentRecord): boolean {
  return prefixes.some((prefix) => document.uri.startsWith(prefix) || document.id.startsWith(prefix));
}

/** The document's chunks with their vectors (every chunk has one by now: embedBatch returned it as ready). */
function embedded(p: Prepared, vectors: ReadonlyMap<string, Float32Array>): EmbeddedChunk[] {
  return p.chunks.map((chunk) => {
    const embedding = vectors.get(chunk.hash);
    if (!embedding) throw new WinnowError('E_INTERNAL', `no embedding for chunk ${chunk.id}`, { file: p.source.uri });
    return { ...chunk, embedding };
  });
}

function toRecord(p: Prepared): DocumentRecord {
  const title = p.parsed.title;
  return {
    id: p.source.id,
    uri: p.source.uri,
    contentHash: p.source.contentHash,
    metadata: { ...p.source.metadata, ...p.parsed.metadata, mediaType: p.parsed.mediaType },
    ...(title === undefined ? {} : { title }),
  };
}

function loaderByMediaType(loaders: LoaderLookup): LoadFunction {
  return async (source, options) => {
    const loader = loaders.get(source.mediaType);
    if (!loader) {
      throw new WinnowError('E_UNSUPPORTED_TYPE', `no loader for media type ${source.mediaType}`, {
        file: source.uri,
        hint: `supported: ${loaders.mediaTypes.join(', ')}`,
      });
    }
    return loader.load(source, options);
  };
}
