import {
  type CallOptions,
  isAbortError,
  type Loader,
  type ParsedDocument,
  type SourceDocument,
  throwIfAborted,
  toWinnowError,
  WinnowError,
} from '@winnow/core';
import { defaultLoaders, LoaderRegistry } from './registry.js';
import { type IngestFailure, type IngestResult, isRejection, type SourceItem } from './types.js';

export interface IngestProgress {
  /** Items the source has produced so far (documents and rejections). */
  seen: number;
  loaded: number;
  failed: number;
  /** Raw bytes (or text characters) of the items seen. */
  bytes: number;
  /** The item just finished. */
  current: { id: string; uri: string; ok: boolean };
}

export interface IngestOptions extends CallOptions {
  /** Loaders by media type; default `defaultLoaders()`. */
  loaders?: LoaderRegistry | Iterable<Loader>;
  onProgress?: (progress: IngestProgress) => void;
}

function registryOf(loaders: IngestOptions['loaders']): LoaderRegistry {
  if (loaders === undefined) return defaultLoaders();
  return loaders instanceof LoaderRegistry ? loaders : new LoaderRegistry(loaders);
}

function failureOf(source: SourceDocument, error: unknown): IngestFailure {
  const err = toWinnowError(error, 'E_PARSE', { file: source.uri });
  // Every message names the file: errors raised without one get it added.
  const named =
    err.file === undefined ? new WinnowError(err.code, err.message.replace(/^E_\w+: /, ''), { file: source.uri }) : err;
  return { id: source.id, uri: source.uri, code: named.code, message: named.message };
}

function hasText(document: ParsedDocument): boolean {
  return document.blocks.some((block) => block.kind !== 'pageBreak' && block.text.trim().length > 0);
}

async function loadOne(source: SourceDocument, registry: LoaderRegistry, signal?: AbortSignal): Promise<IngestResult> {
  const loader = registry.get(source.mediaType);
  if (!loader) {
    const error = new WinnowError('E_UNSUPPORTED_TYPE', `no loader handles ${source.mediaType}`, {
      file: source.uri,
      hint: `supported: ${registry.mediaTypes.join(', ')}`,
    });
    return { ok: false, failure: { id: source.id, uri: source.uri, code: error.code, message: error.message } };
  }
  try {
    const document = await loader.load(source, signal ? { signal } : {});
    if (!hasText(document)) {
      throw new WinnowError('E_EMPTY_INPUT', 'has no text', { file: source.uri });
    }
    return { ok: true, document };
  } catch (error) {
    if (isAbortError(error) || signal?.aborted) throw toWinnowError(error, 'E_ABORTED', { file: source.uri });
    return { ok: false, failure: failureOf(source, error) };
  }
}

function sizeOf(item: SourceItem): number {
  if (isRejection(item)) return 0;
  return item.bytes?.byteLength ?? item.text?.length ?? 0;
}

/**
 * Loads every document a source yields, one at a time, and yields a result for each: the parsed document,
 * or a failure naming the file and the reason. A bad file never stops the run; only an abort does.
 */
export async function* loadAll(
  source: AsyncIterable<SourceItem> | Iterable<SourceItem>,
  options: IngestOptions = {},
): AsyncGenerator<IngestResult> {
  const registry = registryOf(options.loaders);
  const progress: IngestProgress = { seen: 0, loaded: 0, failed: 0, bytes: 0, current: { id: '', uri: '', ok: true } };
  for await (const item of source) {
    throwIfAborted(options.signal, 'ingestion');
    const result: IngestResult = isRejection(item)
      ? { ok: false, failure: item.rejected }
      : await loadOne(item, registry, options.signal);
    progress.seen += 1;
    progress.bytes += sizeOf(item);
    if (result.ok) progress.loaded += 1;
    else progress.failed += 1;
    const id = result.ok ? result.document.id : result.failure.id;
    const uri = result.ok ? result.document.uri : result.failure.uri;
    progress.current = { id, uri, ok: result.ok };
    options.onProgress?.({ ...progress, current: { ...progress.current } });
    yield result;
  }
}

/** Another name for `loadAll`. */
export const ingest = loadAll;

export interface CollectedDocuments {
  documents: ParsedDocument[];
  failures: IngestFailure[];
}

/** Runs `loadAll` to the end and collects documents and failures (small inputs; large ones should stream). */
export async function collectAll(
  source: AsyncIterable<SourceItem> | Iterable<SourceItem>,
  options: IngestOptions = {},
): Promise<CollectedDocuments> {
  const documents: ParsedDocument[] = [];
  const failures: IngestFailure[] = [];
  for await (const result of loadAll(source, options)) {
    if (result.ok) documents.push(result.document);
    else failures.push(result.failure);
  }
  return { documents, failures };
}
