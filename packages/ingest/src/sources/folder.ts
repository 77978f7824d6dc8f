import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
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
        yield await readSourceFile(entry.path, documentIdFromPath(absoluteRoot, entry.path), entry.stats, {
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
  maxFileBytes?: number;
  onTypeMismatch?: TypeMismatchPolicy;
  encoding?: string | undefined;
}

/** A single file as a source. */
export function fileSource(path: string, options: FileSourceOptions = {}): DocumentSource {
  const absolute = resolve(path);
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<SourceItem> {
      const root = options.root ? resolve(options.root) : dirname(absolute);
      const id = options.root ? documentIdFromPath(root, absolute) : basename(absolute);
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
        maxFileBytes: options.maxFileBytes ?? DEFAULTS.maxFileBytes,
        onTypeMismatch: options.onTypeMismatch ?? DEFAULTS.onTypeMismatch,
        encoding: options.encoding,
      });
    },
  };
}
