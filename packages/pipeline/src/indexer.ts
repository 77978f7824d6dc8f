import {
  type CallOptions,
  type Chunk,
  type Chunker,
  type DocumentRecord,
  type EmbeddedChunk,
  type Embedder,
  type ErrorCode,
  isAbortError,
  type Loader,
  type ParsedDocument,
  type SourceDocument,
  type StoredDocumentWrite,
  throwIfAborted,
  toWinnowError,
  type VectorStore,
  WinnowError,
} from '@winnow/core';
import { type IngestFailure, isRejection, LoaderRegistry, type SourceItem } from '@winnow/ingest';

export type { SourceItem } from '@winnow/ingest';

/** A document that could not be indexed, with the reason; its previously indexed version is kept. */
export type SourceFailure = IngestFailure;

export interface IndexerOptions {
  /** Loaders chosen by media type (e.g. `defaultLoaders()`), or one function that parses any source. */
  loaders:
    | LoaderRegistry
    | readonly Loader[]
    | ((source: SourceDocument, options?: CallOptions) => Promise<ParsedDocument>);
  chunker: Chunker;
  embedder: Embedder;
  store: VectorStore;
  /** Chunks gathered across documents before one embedding call; bounds memory. Default 256. */
  embedBatchChunks?: number;
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
  chunks: { written: number; embedded: number; reused: number };
  tokens: number;
  durationsMs: { load: number; chunk: number; embed: number; store: number; delete: number; total: number };
}

export interface IndexRunOptions extends CallOptions {
  /** Delete stored documents that the source no longer has (a reindex). Default true. */
  deleteMissing?: boolean;
  /** When another run holds the lock: wait for it (true) or fail with E_LOCKED (false, default). */
  waitForLock?: boolean;
}

export interface Indexer {
  /** Brings the store in line with the source: adds, replaces, deletes; skips unchanged documents. */
  run(sources: AsyncIterable<SourceItem> | Iterable<SourceItem>, options?: IndexRunOptions): Promise<RunReport>;
}

interface Pending {
  source: SourceDocument;
  kind: 'added' | 'changed';
  parsed: ParsedDocument;
  chunks: Chunk[];
}

export const REINDEX_LOCK = 'winnow-reindex';

/**
 * Incremental, crash-safe indexing. Each document is written in its own transaction with all its chunks, and a
 * document's content hash is stored with it, so a run killed at any point leaves every document either at its old
 * or its new version; the next run sees the unfinished ones as changed and converges. Deletions happen only after
 * the whole source was read, so a failed walk never deletes anything. A document that fails to load, chunk or embed
 * keeps its previously indexed version.
 */
export function createIndexer(options: IndexerOptions): Indexer {
  const batchChunks = options.embedBatchChunks ?? 256;
  const load =
    typeof options.loaders === 'function'
      ? options.loaders
      : loaderByMediaType(
          options.loaders instanceof LoaderRegistry ? options.loaders : new LoaderRegistry(options.loaders),
        );

  async function run(sources: AsyncIterable<SourceItem> | Iterable<SourceItem>, runOptions: IndexRunOptions = {}) {
    const body = () => runUnlocked(sources, runOptions);
    if (options.store.withLock) {
      return options.store.withLock(REINDEX_LOCK, body, { wait: runOptions.waitForLock ?? false });
    }
    return body();
  }

  async function runUnlocked(
    sources: AsyncIterable<SourceItem> | Iterable<SourceItem>,
    { signal, deleteMissing = true }: IndexRunOptions,
  ): Promise<RunReport> {
    const started = performance.now();
    const report: RunReport = {
      added: [],
      changed: [],
      deleted: [],
      unchanged: 0,
      failures: [],
      chunks: { written: 0, embedded: 0, reused: 0 },
      tokens: 0,
      durationsMs: { load: 0, chunk: 0, embed: 0, store: 0, delete: 0, total: 0 },
    };
    const stored = new Map((await options.store.listDocuments({ signal })).map((d) => [d.id, d.contentHash]));
    const seen = new Set<string>();
    let pending: Pending[] = [];
    let pendingChunks = 0;

    const progress = (phase: IndexProgress['phase'], current?: string) => {
      if (!options.onProgress) return;
      const elapsedMs = performance.now() - started;
      options.onProgress({
        phase,
        documents: {
          seen: seen.size,
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
    };
    const fail = (source: { id: string; uri: string }, error: unknown, fallback: ErrorCode) => {
      if (isAbortError(error)) throw error;
      const e = toWinnowError(error, fallback, { file: source.uri });
      report.failures.push({ id: source.id, uri: source.uri, code: e.code, message: e.message });
    };

    const flush = async () => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      pendingChunks = 0;
      await writeBatch(batch, report, signal, fail);
      progress('write');
    };

    for await (const item of sources) {
      throwIfAborted(signal, 'indexing');
      if (isRejection(item)) {
        seen.add(item.rejected.id);
        report.failures.push(item.rejected);
        continue;
      }
      if (seen.has(item.id)) {
        fail(item, new WinnowError('E_DATASET_INVALID', `duplicate document id ${item.id}`), 'E_DATASET_INVALID');
        continue;
      }
      seen.add(item.id);
      const previous = stored.get(item.id);
      if (previous === item.contentHash) {
        report.unchanged++;
        continue;
      }
      let t = performance.now();
      let parsed: ParsedDocument;
      try {
        parsed = await load(item, { signal });
      } catch (error) {
        fail(item, error, 'E_PARSE');
        continue;
      } finally {
        report.durationsMs.load += performance.now() - t;
      }
      t = performance.now();
      let chunks: Chunk[];
      try {
        chunks = await options.chunker.chunk(parsed, { signal });
      } catch (error) {
        fail(item, error, 'E_INTERNAL');
        continue;
      } finally {
        report.durationsMs.chunk += performance.now() - t;
      }
      pending.push({ source: item, kind: previous === undefined ? 'added' : 'changed', parsed, chunks });
      pendingChunks += chunks.length;
      progress('scan', item.id);
      if (pendingChunks >= batchChunks) await flush();
    }
    await flush();
    if (report.chunks.written > 0 && options.store.buildIndex) {
      const t = performance.now();
      await options.store.buildIndex();
      report.durationsMs.store += performance.now() - t;
    }

    if (deleteMissing) {
      const missing = [...stored.keys()].filter((id) => !seen.has(id));
      if (missing.length > 0) {
        const t = performance.now();
        await options.store.deleteDocuments(missing, { signal });
        report.durationsMs.delete += performance.now() - t;
        report.deleted.push(...missing);
      }
      progress('delete');
    }
    report.durationsMs.total = performance.now() - started;
    for (const key of Object.keys(report.durationsMs) as (keyof RunReport['durationsMs'])[]) {
      report.durationsMs[key] = Math.round(report.durationsMs[key]);
    }
    progress('done');
    return report;
  }

  /** Embeds what is not stored yet (one call across documents), then writes each document in its own transaction. */
  async function writeBatch(
    batch: Pending[],
    report: RunReport,
    signal: AbortSignal | undefined,
    fail: (source: { id: string; uri: string }, error: unknown, fallback: ErrorCode) => void,
  ) {
    const all = batch.flatMap((p) => p.chunks);
    let t = performance.now();
    const reusable = await options.store.embeddingsByHash([...new Set(all.map((c) => c.hash))], { signal });
    const toEmbed = new Map<string, string>();
    for (const chunk of all) {
      if (!reusable.has(chunk.hash)) toEmbed.set(chunk.hash, chunk.embedText ?? chunk.text);
    }
    const vectors = new Map(reusable);
    if (toEmbed.size > 0) {
      const hashes = [...toEmbed.keys()];
      try {
        const result = await options.embedder.embed([...toEmbed.values()], { inputType: 'document', signal });
        hashes.forEach((hash, i) => {
          const vector = result.vectors[i];
          if (vector) vectors.set(hash, vector);
        });
        report.tokens += result.tokens ?? 0;
        report.chunks.embedded += hashes.length;
      } catch (error) {
        // One bad text must not sink the batch: retry document by document to find the culprit.
        if (isAbortError(error) || batch.length === 1) {
          for (const p of batch) fail(p.source, error, 'E_INTERNAL');
          return;
        }
        report.durationsMs.embed += performance.now() - t;
        for (const p of batch) await writeBatch([p], report, signal, fail);
        return;
      }
    }
    report.chunks.reused += all.filter((c) => reusable.has(c.hash)).length;
    report.durationsMs.embed += performance.now() - t;

    t = performance.now();
    const writes: StoredDocumentWrite[] = [];
    for (const p of batch) {
      const chunks: EmbeddedChunk[] = [];
      for (const chunk of p.chunks) {
        const embedding = vectors.get(chunk.hash);
        if (!embedding)
          throw new WinnowError('E_INTERNAL', `no embedding for chunk ${chunk.id}`, { file: p.source.uri });
        chunks.push({ ...chunk, embedding });
      }
      writes.push({ document: toRecord(p), chunks });
    }
    for (const write of writes) {
      try {
        await options.store.replaceDocuments([write], { signal });
        const p = batch.find((b) => b.source.id === write.document.id);
        if (p) report[p.kind === 'added' ? 'added' : 'changed'].push(p.source.id);
        report.chunks.written += write.chunks.length;
      } catch (error) {
        fail({ id: write.document.id, uri: write.document.uri }, error, 'E_DB_QUERY');
      }
    }
    report.durationsMs.store += performance.now() - t;
  }

  return { run };
}

function toRecord(p: Pending): DocumentRecord {
  const title = p.parsed.title;
  return {
    id: p.source.id,
    uri: p.source.uri,
    contentHash: p.source.contentHash,
    metadata: { ...p.source.metadata, ...p.parsed.metadata, mediaType: p.parsed.mediaType },
    ...(title === undefined ? {} : { title }),
  };
}

function loaderByMediaType(registry: LoaderRegistry) {
  return async (source: SourceDocument, options?: CallOptions): Promise<ParsedDocument> => {
    const loader = registry.get(source.mediaType);
    if (!loader) {
      throw new WinnowError('E_UNSUPPORTED_TYPE', `no loader for media type ${source.mediaType}`, {
        file: source.uri,
        hint: `supported: ${registry.mediaTypes.join(', ')}`,
      });
    }
    return loader.load(source, options);
  };
}
