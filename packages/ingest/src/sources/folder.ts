import { realpath, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { documentIdFromPath, ingestConfigSchema, WinnowError } from '@winnow/core';
import type { TypeMismatchPolicy } from '../detect.js';
import type { DocumentSource, SourceItem } from '../types.js';
import { readSourceFile } from './read.js';
import { type SkipDetail, type SkipReason, walk } from './walk.js';

const DEFAULTS = ingestConfigSchema.parse({});

export interface FolderSourceOptions {
  /** Globs (relative to the root, `/`-separated, dotfiles included) a file must match. Default `**\/*`. */
  include?: readonly string[];
  /** Globs for files and folders to leave out. Default: node_modules, .git, .winnow. */
  exclude?: readonly string[];
  /** Larger files are reported as E_FILE_TOO_LARGE and not read. Default 50 MiB. */
  maxFileBytes?: number;
  /** Follow symbolic links (loops are detected and skipped). Default false. */
  followSymlinks?: boolean;
  /** A file whose bytes contradict its extension: load it as what it is (default) or fail E_TYPE_MISMATCH. */
  onTypeMismatch?: TypeMismatchPolicy;
  /** The encoding of text files (WHATWG label), overriding detection; default: detect. */
  encoding?: string | undefined;
  signal?: AbortSignal;
  /** Each entry passed over on purpose, with why (`skippedEntry` turns it into a run-report line). */
  onSkip?: (path: string, reason: SkipReason, detail?: SkipDetail) => void;
}

/**
 * Every file under a folder, lazily: ids are paths relative to the root with `/` separators. Defaults come
 * from core's `ingest` config schema, so `folderSource(root, config.ingest)` works as is.
 */
export function folderSource(root: string, options: FolderSourceOptions = {}): DocumentSource {
  const absoluteRoot = resolve(root);
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<SourceItem> {
      const entries = walk(absoluteRoot, {
        include: options.include ?? DEFAULTS.include,
        exclude: options.exclude ?? DEFAULTS.exclude,
        followSymlinks: options.followSymlinks ?? DEFAULTS.followSymlinks,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onSkip ? { onSkip: options.onSkip } : {}),
      });
      for await (const entry of entries) {
        if (entry.kind === 'error') {
          const { error } = entry;
          yield {
            rejected: {
              id: entry.relativePath,
              uri: pathToFileURL(entry.path).href,
              code: error.code,
              message: error.message,
            },
            ...(entry.folder ? { subtree: true } : {}),
          };
          continue;
        }
        // The walk gives the canonical path (links resolved), equal to the walked path when no link is involved.
        yield await readSourceFile(entry.path, entry.relativePath, entry.stats, {
          realPath: entry.realPath,
          maxFileBytes: options.maxFileBytes ?? DEFAULTS.maxFileBytes,
          onTypeMismatch: options.onTypeMismatch ?? DEFAULTS.onTypeMismatch,
          encoding: options.encoding,
        });
      }
    },
  };
}

export interface FileSourceOptions {
  /** Ids are relative to this folder; default the file's own folder (the id is then its name). */
  root?: string;
  /**
   * Documents already in the collection (e.g. `await store.listDocuments()`): a file whose URI is among them keeps
   * that document's id, so indexing one file of an indexed folder by its own path updates it instead of adding a
   * second document for the same URI.
   */
  known?: Iterable<{ id: string; uri: string }>;
  maxFileBytes?: number;
  onTypeMismatch?: TypeMismatchPolicy;
  encoding?: string | undefined;
}

/** A single file as a source. */
export function fileSource(path: string, options: FileSourceOptions = {}): DocumentSource {
  const absolute = resolve(path);
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<SourceItem> {
      const real = await realpath(absolute).catch(() => absolute);
      const id = knownId(options.known, absolute, real) ?? ownId(absolute, options.root);
      let stats: Awaited<ReturnType<typeof stat>>;
      try {
        stats = await stat(absolute);
      } catch (error) {
        throw new WinnowError('E_FILE_NOT_FOUND', 'the file does not exist or cannot be read', {
          file: absolute,
          cause: error,
        });
      }
      if (!stats.isFile()) throw new WinnowError('E_FILE_NOT_FOUND', 'is not a file', { file: absolute });
      yield await readSourceFile(absolute, id, stats, {
        realPath: real,
        maxFileBytes: options.maxFileBytes ?? DEFAULTS.maxFileBytes,
        onTypeMismatch: options.onTypeMismatch ?? DEFAULTS.onTypeMismatch,
        encoding: options.encoding,
      });
    },
  };
}

/** The id of a stored document with this file's URI (its real path's, or the path's as given). */
function knownId(known: FileSourceOptions['known'], absolute: string, real: string): string | undefined {
  if (!known) return undefined;
  const uris = new Set([pathToFileURL(real).href, pathToFileURL(absolute).href]);
  for (const document of known) if (uris.has(document.uri)) return document.id;
  return undefined;
}

function ownId(absolute: string, root: string | undefined): string {
  return root ? documentIdFromPath(resolve(root), absolute) : basename(absolute);
}
