import type { Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { contentHash, type SourceDocument, WinnowError } from '@winnow/core';
import { detectMediaType, MEDIA_TYPES, type TypeMismatchPolicy } from '../detect.js';
import type { SourceItem } from '../types.js';
import { fsError } from './walk.js';

export interface FileReadOptions {
  maxFileBytes: number;
  onTypeMismatch: TypeMismatchPolicy;
  /** The encoding of text files (`ingest.encoding`), passed to the loaders as the media type's charset. */
  encoding?: string | undefined;
  /** The file's real path, for its URI: one URI per file however it was reached. Default `path`. */
  realPath?: string;
}

/** Media types whose bytes are text in some encoding. */
const TEXT_TYPES = new Set<string>([MEDIA_TYPES.text, MEDIA_TYPES.markdown, MEDIA_TYPES.html]);

function reject(id: string, uri: string, error: WinnowError): SourceItem {
  return { rejected: { id, uri, code: error.code, message: error.message } };
}

/**
 * Reads one file into a source document: size limit first (an oversized file is never read), then bytes,
 * media type from the bytes and the name, and the content hash.
 */
export async function readSourceFile(
  path: string,
  id: string,
  stats: Stats,
  options: FileReadOptions,
): Promise<SourceItem> {
  const uri = pathToFileURL(options.realPath ?? path).href;
  if (stats.size > options.maxFileBytes) {
    return reject(
      id,
      uri,
      new WinnowError('E_FILE_TOO_LARGE', `is ${stats.size} bytes, over the limit of ${options.maxFileBytes}`, {
        file: path,
        setting: 'ingest.maxFileBytes',
      }),
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    return reject(id, uri, fsError(error, path, 'cannot be read'));
  }
  const detection = detectMediaType(bytes, path);
  const metadata: SourceDocument['metadata'] = {
    path: id,
    bytes: stats.size,
    modified: stats.mtime.toISOString(),
  };
  if (detection.claimed) {
    const note = `named as ${detection.claimed} but the bytes are ${detection.mediaType}`;
    if (options.onTypeMismatch === 'reject') {
      return reject(id, uri, new WinnowError('E_TYPE_MISMATCH', note, { file: path }));
    }
    metadata.typeMismatch = `${note}; loaded as ${detection.mediaType}`;
  }
  const mediaType =
    options.encoding !== undefined && TEXT_TYPES.has(detection.mediaType)
      ? `${detection.mediaType}; charset=${options.encoding}`
      : detection.mediaType;
  return { id, uri, mediaType, bytes, metadata, contentHash: contentHash(bytes) };
}
