import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { assertValidId, contentHash, type Metadata, throwIfAborted, WinnowError } from '@winnow/core';
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
  signal?: AbortSignal;
}

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

/** Lines of a (possibly gzipped) file; a read or decompression error ends the iteration with that error. */
async function* lines(file: string): AsyncGenerator<string> {
  const raw = createReadStream(file);
  const input: Readable = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  // readline does not pass on its input's errors, so they are caught here and end the reading.
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    reader.close();
  };
  raw.on('error', fail);
  input.on('error', fail);
  try {
    for await (const line of reader) {
      if (failure) break;
      yield line;
    }
  } finally {
    reader.close();
    input.destroy();
    raw.destroy();
  }
  if (failure) throw failure;
}

interface BeirRecord {
  _id?: unknown;
  title?: unknown;
  text?: unknown;
  metadata?: unknown;
}

/**
 * A BEIR corpus (`corpus.jsonl` or `.jsonl.gz`, one `{_id, title, text, metadata?}` per line), streamed
 * through zlib and readline: one record in memory at a time. A malformed record is reported
 * (E_DATASET_INVALID, with its line number) and the rest are still read.
 */
export function beirSource(path: string, options: BeirSourceOptions = {}): DocumentSource {
  const joinTitle = options.joinTitle ?? true;
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<SourceItem> {
      const file = await corpusFile(path);
      const name = options.name ?? basename(file === resolve(path) ? dirname(file) : resolve(path));
      const seen = new Set<string>();
      let lineNumber = 0;
      try {
        for await (const line of lines(file)) {
          lineNumber += 1;
          throwIfAborted(options.signal, `reading ${file}`);
          if (line.trim().length === 0) continue;
          const item = toSource(line, lineNumber, file, name, joinTitle, seen);
          yield item;
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
