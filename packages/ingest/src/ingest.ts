import {
  type CallOptions,
  isAbortError,
  type Loader,
  type ParsedDocument,
  type SourceDocument,
  throwIfAborted,
  toWinnowError,
  WinnowError,
  withinBudget,
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
  /** Time one document may take to load (`ingest.maxDocumentMs`); over it, that file fails with E_TIMEOUT. */
  maxDocumentMs?: number | undefined;
}

function registryOf(loaders: IngestOptions['loaders']): LoaderRegistry {
  if (loaders === undefined) return defaultLoaders();
  return loaders instanceof LoaderRegistry ? loaders : new LoaderRegistry(loaders);
}

/** A loader that recursed too deep (nesting in the file) ran out of stack: say so, not "Maximum call stack…". */
function stackOverflow(error: unknown, file: string): WinnowError | undefined {
  if (!(error instanceof RangeError) || !/call stack/i.test(error.message)) return undefined;
  return new WinnowError('E_PARSE', 'is nested too deeply to parse (the JavaScript call stack ran out)', {
    file,
    cause: error,
    hint: 'the file is malformed or machine-generated',
  });
}

/** The error as a WinnowError whose message names the file (errors raised without one get it added). */
function namedError(source: SourceDocument, error: unknown): WinnowError {
  const err = stackOverflow(error, source.uri) ?? toWinnowError(error, 'E_PARSE', { file: source.uri });
  return err.file === undefined
    ? new WinnowError(err.code, err.message.replace(/^E_\w+: /, ''), { file: source.uri, cause: err })
    : err;
}

function failureOf(source: SourceDocument, error: unknown): IngestFailure {
  const named = namedError(source, error);
  return { id: source.id, uri: source.uri, code: named.code, message: named.message };
}

function hasText(document: ParsedDocument): boolean {
  return document.blocks.some((block) => block.kind !== 'pageBreak' && block.text.trim().length > 0);
}

export interface LoadDocumentOptions extends CallOptions {
  /** Time one document may take (`ingest.maxDocumentMs`); over it the load fails with E_TIMEOUT. Default: none. */
  maxDocumentMs?: number | undefined;
}

/**
 * Loads one source document with the loader for its media type, with the errors every caller needs: no loader
 * (E_UNSUPPORTED_TYPE), no text (E_EMPTY_INPUT), nesting that exhausts the stack (E_PARSE saying so), a time
 * budget (E_TIMEOUT), and any other loader error named after the file. An abort of `signal` stays E_ABORTED.
 */
export async function loadDocument(
  source: SourceDocument,
  registry: LoaderRegistry,
  options: LoadDocumentOptions = {},
): Promise<ParsedDocument> {
  const loader = registry.get(source.mediaType);
  if (!loader) {
    throw new WinnowError('E_UNSUPPORTED_TYPE', `no loader handles ${source.mediaType}`, {
      file: source.uri,
      hint: `supported: ${registry.mediaTypes.join(', ')}`,
    });
  }
  const { signal, maxDocumentMs } = options;
  try {
    const document =
      maxDocumentMs === undefined
        ? await loader.load(source, signal ? { signal } : {})
        : await withinBudget(maxDocumentMs, { file: source.uri, signal }, (budget) =>
            loader.load(source, { signal: budget }),
          );
    if (!hasText(document)) throw new WinnowError('E_EMPTY_INPUT', 'has no text', { file: source.uri });
    return document;
  } catch (error) {
    if (isAbortError(error) || signal?.aborted) throw toWinnowError(error, 'E_ABORTED', { file: source.uri });
    throw namedError(source, error);
  }
}

async function loadOne(
  source: SourceDocument,
  registry: LoaderRegistry,
  options: LoadDocumentOptions,
): Promise<IngestResult> {
  try {
    return { ok: true, document: await loadDocument(source, registry, options) };
  } catch (error) {
    if (isAbortError(error)) throw error;
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
      : await loadOne(item, registry, { signal: options.signal, maxDocumentMs: options.maxDocumentMs });
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
