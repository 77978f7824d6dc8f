import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import {
  assertValidId,
  contentHash,
  ingestConfigSchema,
  type Metadata,
  throwIfAborted,
  WinnowError,
} from '@winnow/core';
import { MEDIA_TYPES } from '../detect.js';
import type { DocumentSource, SourceItem } from '../types.js';

export interface BeirSourceOptions {
  /**
   * Index `title + ' ' + text` as one passage, as BEIR evaluations do (default true). Either way the title is
   * also kept as the document title and in metadata.
   */
  joinTitle?: boolean;
  /** Corpus name used in URIs (`beir:<name>#<id>`); default the folder name. */
  name?: string;
  /** A record (line) longer than this is skipped and reported (E_FILE_TOO_LARGE). Default `ingest.maxFileBytes`. */
  maxRecordBytes?: number;
  /** Reading a gzipped corpus stops past this many decompressed bytes. Default `ingest.maxDecompressedBytes`. */
  maxDecompressedBytes?: number;
  signal?: AbortSignal;
}

const DEFAULTS = ingestConfigSchema.parse({});

const CORPUS_FILES = ['corpus.jsonl', 'corpus.jsonl.gz'];

/** The corpus file: the path itself, or `corpus.jsonl(.gz)` inside the given folder. */
async function corpusFile(path: string): Promise<string> {
  const absolute = resolve(path);
  const stats = await stat(absolute).catch((error: unknown) => {
    throw new WinnowError('E_FILE_NOT_FOUND', 'the BEIR corpus does not exist', { file: absolute, cause: error });
  });
  if (stats.isFile()) return absolute;
  for (const name of CORPUS_FILES) {
    const candidate = join(absolute, name);
    if (
      await stat(candidate).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return candidate;
  }
  throw new WinnowError('E_FILE_NOT_FOUND', `the folder has no ${CORPUS_FILES.join(' or ')}`, { file: absolute });
}

/** One line of the corpus, or the length of one too long to hold. */
type Line = { text: string } | { tooLong: number };

interface LineLimits {
  /** A longer line is not held in memory: it is skipped and reported. */
  maxLineBytes: number;
  /** Reading stops (E_FILE_TOO_LARGE) once a gzipped file has decompressed to more than this. */
  maxDecompressedBytes: number;
}

/**
 * Lines of a (possibly gzipped) file, split by hand on LF (a CR before it dropped) so that memory stays bounded
 * by the longest line allowed, whatever the input: a line over `maxLineBytes` is passed over as `{ tooLong }`
 * without being kept, and decompression stops past `maxDecompressedBytes` (a gzip bomb). A UTF-8 byte-order mark
 * at the start of the file is dropped. A read or decompression error ends the iteration with that error.
 */
async function* lines(file: string, limits: LineLimits): AsyncGenerator<Line> {
  const raw = createReadStream(file);
  const gzipped = file.endsWith('.gz');
  const input: Readable = gzipped ? raw.pipe(createGunzip()) : raw;
  // pipe() does not pass on the file's errors to the gunzip stream.
  let failure: Error | undefined;
  raw.on('error', (error) => {
    failure ??= error;
    input.destroy(error);
  });
  let parts: Buffer[] = [];
  let length = 0;
  let skipping = false;
  let total = 0;
  let first = true;
  const finish = (): Line => {
    const line: Line = skipping ? { tooLong: length } : { text: lineText(Buffer.concat(parts), first) };
    first = false;
    parts = [];
    length = 0;
    skipping = false;
    return line;
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (gzipped && total > limits.maxDecompressedBytes) {
        throw new WinnowError(
          'E_FILE_TOO_LARGE',
          `decompresses to more than ${limits.maxDecompressedBytes} bytes; reading stopped there`,
          {
            file,
            setting: 'ingest.maxDecompressedBytes',
            hint: 'raise the limit if the corpus is meant to be this large',
          },
        );
      }
      let from = 0;
      for (let at = chunk.indexOf(0x0a); ; at = chunk.indexOf(0x0a, from)) {
        const end = at === -1 ? chunk.length : at;
        length += end - from;
        if (length > limits.maxLineBytes) {
          skipping = true;
          parts = [];
        } else if (end > from) parts.push(chunk.subarray(from, end));
        if (at === -1) break;
        yield finish();
        from = at + 1;
      }
    }
    if (failure) throw failure;
    if (length > 0 || skipping) yield finish();
  } finally {
    input.destroy();
    raw.destroy();
  }
}

function lineText(bytes: Buffer, first: boolean): string {
  const text = bytes.toString('utf8');
  const withoutCr = text.endsWith('\r') ? text.slice(0, -1) : text;
  return first ? withoutCr.replace(/^\ufeff/, '') : withoutCr;
}

interface BeirRecord {
  _id?: unknown;
  title?: unknown;
  text?: unknown;
  metadata?: unknown;
}

/**
 * A BEIR corpus (`corpus.jsonl` or `.jsonl.gz`, one `{_id, title, text, metadata?}` per line), streamed
 * through zlib: one record in memory at a time, none longer than `maxRecordBytes`, and no more than
 * `maxDecompressedBytes` decompressed. A malformed record is reported
 * (E_DATASET_INVALID, with its line number) and the rest are still read.
 */
export function beirSource(path: string, options: BeirSourceOptions = {}): DocumentSource {
  const joinTitle = options.joinTitle ?? true;
  const limits: LineLimits = {
    maxLineBytes: options.maxRecordBytes ?? DEFAULTS.maxFileBytes,
    maxDecompressedBytes: options.maxDecompressedBytes ?? DEFAULTS.maxDecompressedBytes,
  };
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<SourceItem> {
      const file = await corpusFile(path);
      const name = options.name ?? basename(file === resolve(path) ? dirname(file) : resolve(path));
      const seen = new Set<string>();
      let lineNumber = 0;
      try {
        for await (const line of lines(file, limits)) {
          lineNumber += 1;
          throwIfAborted(options.signal, `reading ${file}`);
          if ('tooLong' in line) {
            const error = new WinnowError(
              'E_FILE_TOO_LARGE',
              `line ${lineNumber} is ${line.tooLong} bytes, over the limit of ${limits.maxLineBytes} for one record; skipped`,
              { file, setting: 'ingest.maxFileBytes' },
            );
            yield {
              rejected: {
                id: `line ${lineNumber}`,
                uri: `${file}#L${lineNumber}`,
                code: error.code,
                message: error.message,
              },
            };
            continue;
          }
          if (line.text.trim().length === 0) continue;
          yield toSource(line.text, lineNumber, file, name, joinTitle, seen);
        }
      } catch (error) {
        if (error instanceof WinnowError) throw error;
        throw new WinnowError('E_DATASET_INVALID', `cannot read past line ${lineNumber}: ${(error as Error).message}`, {
          file,
          cause: error,
        });
      }
    },
  };
}

function invalid(file: string, lineNumber: number, message: string, field?: string): SourceItem {
  const error = new WinnowError('E_DATASET_INVALID', `line ${lineNumber}: ${message}`, {
    file,
    ...(field ? { field } : {}),
  });
  return {
    rejected: { id: `line ${lineNumber}`, uri: `${file}#L${lineNumber}`, code: error.code, message: error.message },
  };
}

function toSource(
  line: string,
  lineNumber: number,
  file: string,
  name: string,
  joinTitle: boolean,
  seen: Set<string>,
): SourceItem {
  let record: BeirRecord;
  try {
    record = JSON.parse(line) as BeirRecord;
  } catch (error) {
    return invalid(file, lineNumber, `not valid JSON (${(error as Error).message})`);
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    return invalid(file, lineNumber, 'a record must be a JSON object');
  }
  const { _id: rawId, title = '', text, metadata = {} } = record;
  let id: string;
  try {
    id = assertValidId(rawId, '_id');
  } catch (error) {
    return invalid(file, lineNumber, (error as Error).message.replace(/^E_DATASET_INVALID: (field _id: )?/, ''), '_id');
  }
  if (typeof title !== 'string') return invalid(file, lineNumber, 'title must be a string', 'title');
  if (typeof text !== 'string') return invalid(file, lineNumber, 'text must be a string', 'text');
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    return invalid(file, lineNumber, 'metadata must be an object', 'metadata');
  }
  if (title.trim().length === 0 && text.trim().length === 0) {
    return invalid(file, lineNumber, `record ${id} has neither title nor text`, 'text');
  }
  if (seen.has(id)) return invalid(file, lineNumber, `duplicate id ${JSON.stringify(id)}`, '_id');
  seen.add(id);
  const passage = joinTitle && title.trim().length > 0 ? `${title} ${text}` : text;
  const meta: Metadata = { ...(metadata as Metadata), corpus: name };
  if (title.trim().length > 0) meta.title = title;
  return {
    id,
    uri: `beir:${name}#${id}`,
    mediaType: MEDIA_TYPES.passage,
    text: passage,
    metadata: meta,
    contentHash: contentHash(line),
  };
}
