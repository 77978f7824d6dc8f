/**
 * A lazy directory walk: one directory is open at a time (`opendir` streams its entries), files are yielded
 * as they are met, and only the paths of directories still to visit are kept, so a tree of any size is
 * walked in memory proportional to its number of pending directories, not its number of files.
 */
import type { Dir, Dirent, Stats } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { throwIfAborted, WinnowError } from '@winnow/core';
import picomatch from 'picomatch';

export interface WalkOptions {
  /** Globs over paths relative to the root (`/`-separated) that a file must match. */
  include: readonly string[];
  /** Globs for files and folders to leave out; a matching folder is not entered. */
  exclude: readonly string[];
  followSymlinks: boolean;
  signal?: AbortSignal;
  /** Told about each entry passed over on purpose (a symlink not followed, a loop, an excluded folder). */
  onSkip?: (path: string, reason: SkipReason) => void;
}

export type SkipReason = 'symlink' | 'symlink-loop' | 'excluded' | 'not-a-file';

export type WalkEntry =
  | { kind: 'file'; path: string; relativePath: string; stats: Stats }
  | { kind: 'error'; path: string; relativePath: string; error: WinnowError };

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

function inodeKey(stats: Stats): string {
  return `${stats.dev}:${stats.ino}`;
}

function fsError(error: unknown, path: string, what: string): WinnowError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
  return new WinnowError('E_FILE_NOT_FOUND', `${what} (${code})`, { file: path, cause: error });
}

export async function* walk(root: string, options: WalkOptions): AsyncGenerator<WalkEntry> {
  const included = picomatch([...options.include], { dot: true });
  const excluded = options.exclude.length > 0 ? picomatch([...options.exclude], { dot: true }) : () => false;
  // A folder is pruned when a file inside it would be excluded (so `**/node_modules/**` prunes node_modules).
  const folderExcluded = (rel: string) => excluded(rel) || excluded(`${rel}/\u0000`);
  let rootStats: Stats;
  try {
    rootStats = await stat(root);
  } catch (error) {
    throw fsError(error, root, 'the folder does not exist or cannot be read');
  }
  if (!rootStats.isDirectory()) {
    throw new WinnowError('E_FILE_NOT_FOUND', 'is not a folder', { file: root });
  }
  const visited = new Set<string>([inodeKey(rootStats)]);
  const pending: string[] = [root];
  while (pending.length > 0) {
    const folder = pending.pop() as string;
    let dir: Dir;
    try {
      dir = await opendir(folder);
    } catch (error) {
      yield {
        kind: 'error',
        path: folder,
        relativePath: toPosix(relative(root, folder)),
        error: fsError(error, folder, 'cannot open the folder'),
      };
      continue;
    }
    for await (const entry of dir) {
      throwIfAborted(options.signal, `walking ${root}`);
      const path = join(folder, entry.name);
      const rel = toPosix(relative(root, path));
      const resolved = await resolveEntry(entry, path, options);
      if (resolved.kind === 'error') {
        yield { kind: 'error', path, relativePath: rel, error: resolved.error };
        continue;
      }
      if (resolved.kind === 'skip') continue;
      const { stats } = resolved;
      if (stats.isDirectory()) {
        if (folderExcluded(rel)) {
          options.onSkip?.(path, 'excluded');
          continue;
        }
        const key = inodeKey(stats);
        if (visited.has(key)) {
          options.onSkip?.(path, 'symlink-loop');
          continue;
        }
        visited.add(key);
        pending.push(path);
      } else if (stats.isFile()) {
        if (included(rel) && !excluded(rel)) yield { kind: 'file', path, relativePath: rel, stats };
      } else {
        options.onSkip?.(path, 'not-a-file');
      }
    }
  }
}

type Resolved = { kind: 'ok'; stats: Stats } | { kind: 'skip' } | { kind: 'error'; error: WinnowError };

async function resolveEntry(entry: Dirent, path: string, options: WalkOptions): Promise<Resolved> {
  try {
    if (entry.isSymbolicLink()) {
      if (!options.followSymlinks) {
        options.onSkip?.(path, 'symlink');
        return { kind: 'skip' };
      }
    }
    // stat follows links: a folder reached through a link has its target's device and inode (loop check).
    return { kind: 'ok', stats: await stat(path) };
  } catch (error) {
    const what = entry.isSymbolicLink() ? 'the symbolic link points nowhere' : 'cannot be read';
    return { kind: 'error', error: fsError(error, path, what) };
  }
}
