/**
 * A lazy directory walk: one directory is open at a time (`opendir` streams its entries), files are yielded
 * as they are met, and only the paths of directories still to visit are kept, so a tree of any size is
 * walked in memory proportional to its number of pending directories, not its number of files.
 */
import type { Dir, Dirent, Stats } from 'node:fs';
import { opendir, readdir, readlink, realpath, stat } from 'node:fs/promises';
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
  onSkip?: (path: string, reason: SkipReason, detail?: SkipDetail) => void;
}

/**
 * Why an entry was passed over: `symlink` (links are not followed: `ingest.followSymlinks` is off),
 * `symlink-loop` (a followed link leads back to a folder already walked), `symlink-outside-root` (a followed link
 * leads out of the root), `symlink-duplicate` (a followed link to a file or folder the walk reaches under its own
 * path, or through another link), `excluded` (a folder matching `exclude`), `not-a-file` (a socket, FIFO or device).
 */
export type SkipReason =
  | 'symlink'
  | 'symlink-loop'
  | 'symlink-duplicate'
  | 'symlink-outside-root'
  | 'excluded'
  | 'not-a-file';

export interface SkipDetail {
  /** Where a symbolic link points (as written in the link). */
  target?: string;
}

/** A passed-over entry for a run report: the path, the reason and a sentence saying why. */
export interface SkippedEntry extends SkipDetail {
  path: string;
  reason: SkipReason;
  why: string;
}

const WHY: Record<SkipReason, string> = {
  symlink: 'a symbolic link, not followed (ingest.followSymlinks is off)',
  'symlink-loop': 'a symbolic link back to a folder already walked (a loop)',
  'symlink-duplicate': 'a symbolic link to a file or folder already indexed under its own path',
  'symlink-outside-root': 'a symbolic link to a place outside the folder being indexed',
  excluded: 'matches ingest.exclude',
  'not-a-file': 'neither a file nor a folder (a socket, FIFO or device)',
};

/** The report entry for a skip: use as `onSkip: (path, reason, detail) => skipped.push(skippedEntry(path, reason, detail))`. */
export function skippedEntry(path: string, reason: SkipReason, detail: SkipDetail = {}): SkippedEntry {
  return { path, reason, why: WHY[reason], ...detail };
}

export type WalkEntry =
  | {
      kind: 'file';
      path: string;
      /**
       * The file's canonical path (links resolved) relative to the root's real path, so a file has one id however
       * it is reached; without links it is the path as walked.
       */
      relativePath: string;
      /** The file's real path (`realpath`): its URI. */
      realPath: string;
      stats: Stats;
    }
  | {
      kind: 'error';
      path: string;
      relativePath: string;
      error: WinnowError;
      /** A folder (or a link that may lead to one) whose contents are unknown: nothing under it may count as gone. */
      folder?: boolean;
    };

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

function inodeKey(stats: Stats): string {
  return `${stats.dev}:${stats.ino}`;
}

/** A file system error as a WinnowError: E_PERMISSION for EACCES/EPERM, else E_FILE_NOT_FOUND, with the errno. */
export function fsError(error: unknown, path: string, what: string): WinnowError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
  if (code === 'EACCES' || code === 'EPERM') {
    return new WinnowError('E_PERMISSION', `${what}: permission denied (${code})`, {
      file: path,
      cause: error,
      hint: 'give the indexing user read access, or exclude the path',
    });
  }
  return new WinnowError('E_FILE_NOT_FOUND', `${what} (${code})`, { file: path, cause: error });
}

/** A name as bytes shown in ASCII: printable ASCII as is, every other byte as \xNN. */
function escapedName(name: Buffer): string {
  let out = '';
  for (const byte of name)
    out +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, '0')}`;
  return out;
}

/**
 * Names in a folder that are not valid UTF-8 (Node reads them with U+FFFD in place of the bad bytes, and then
 * cannot open them): the raw bytes, escaped, by the name Node reports.
 */
async function undecodableNames(folder: string): Promise<Map<string, string[]>> {
  const names = new Map<string, string[]>();
  for (const raw of await readdir(folder, { encoding: 'buffer' }).catch(() => [] as Buffer[])) {
    const decoded = raw.toString('utf8');
    if (!Buffer.from(decoded, 'utf8').equals(raw))
      names.set(decoded, [...(names.get(decoded) ?? []), escapedName(raw)]);
  }
  return names;
}

interface Folder {
  /** As walked (through links). */
  path: string;
  /** Its real path: where canonical ids are taken from. */
  real: string;
}

interface DeferredLink {
  path: string;
  rel: string;
  entry: Dirent;
  folder: Folder;
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
  const realRoot = await realpath(root).catch(() => root);
  const visited = new Set<string>([inodeKey(rootStats)]);
  const pending: Folder[] = [{ path: root, real: realRoot }];
  // Followed links wait until the tree has been walked under real paths, so a file or folder is always met under
  // its own path first and the link is the one reported as the duplicate, whatever the directory order.
  const deferred: DeferredLink[] = [];
  // Real paths of files yielded, kept only while following links (a file link may reach any of them).
  const yielded = options.followSymlinks ? new Set<string>() : undefined;
  while (pending.length > 0 || deferred.length > 0) {
    const next = pending.pop();
    if (next === undefined) {
      const link = deferred.shift() as DeferredLink;
      yield* visitEntry(link.entry, link.path, link.rel, link.folder);
      continue;
    }
    const folder = next;
    let dir: Dir;
    try {
      dir = await opendir(folder.path);
    } catch (error) {
      yield {
        kind: 'error',
        path: folder.path,
        relativePath: toPosix(relative(root, folder.path)),
        error: fsError(error, folder.path, 'cannot open the folder'),
        folder: true,
      };
      continue;
    }
    let badNames: Map<string, string[]> | undefined;
    for await (const entry of dir) {
      throwIfAborted(options.signal, `walking ${root}`);
      const path = join(folder.path, entry.name);
      const rel = toPosix(relative(root, path));
      if (entry.name.includes('\ufffd')) {
        badNames ??= await undecodableNames(folder.path);
        // Several bad names may read alike: each entry takes the next of them.
        const escaped = badNames.get(entry.name)?.shift();
        if (escaped !== undefined) {
          const shown = join(folder.path, escaped);
          yield {
            kind: 'error',
            path: shown,
            relativePath: toPosix(relative(root, shown)),
            error: new WinnowError('E_FILE_NAME', `the name is not valid UTF-8 (bytes shown as \\xNN)`, {
              file: shown,
              hint: 'rename the file to UTF-8, e.g. with convmv',
            }),
          };
          continue;
        }
      }
      if (options.followSymlinks && entry.isSymbolicLink()) {
        deferred.push({ path, rel, entry, folder });
        continue;
      }
      yield* visitEntry(entry, path, rel, folder);
    }
  }

  async function* visitEntry(entry: Dirent, path: string, rel: string, folder: Folder): AsyncGenerator<WalkEntry> {
    const resolved = await resolveEntry(entry, path, realRoot, options);
    if (resolved.kind === 'error') {
      // An entry that cannot be stat'ed may be a folder (a directory, or a link to one): its subtree is unknown.
      const isFolder = entry.isDirectory() || entry.isSymbolicLink();
      yield {
        kind: 'error',
        path,
        relativePath: rel,
        error: resolved.error,
        ...(isFolder ? { folder: isFolder } : {}),
      };
      return;
    }
    if (resolved.kind === 'skip') return;
    const { stats } = resolved;
    const real = resolved.real ?? join(folder.real, entry.name);
    const linkTarget = async () =>
      readlink(path).then(
        (target) => ({ target }),
        () => ({}),
      );
    if (stats.isDirectory()) {
      if (folderExcluded(rel)) {
        options.onSkip?.(path, 'excluded');
        return;
      }
      const key = inodeKey(stats);
      if (visited.has(key)) {
        // A link to a folder above it is a loop; to any other folder already walked, a second way to the same files.
        const loop = folder.real === real || folder.real.startsWith(`${real}${sep}`);
        options.onSkip?.(path, loop ? 'symlink-loop' : 'symlink-duplicate', await linkTarget());
        return;
      }
      visited.add(key);
      pending.push({ path, real });
    } else if (stats.isFile()) {
      if (!included(rel) || excluded(rel)) return;
      if (yielded?.has(real)) {
        options.onSkip?.(path, 'symlink-duplicate', await linkTarget());
        return;
      }
      yielded?.add(real);
      yield { kind: 'file', path, relativePath: toPosix(relative(realRoot, real)), realPath: real, stats };
    } else {
      options.onSkip?.(path, 'not-a-file');
    }
  }
}

/** `real` is set for a followed link (its target's real path). */
type Resolved = { kind: 'ok'; stats: Stats; real?: string } | { kind: 'skip' } | { kind: 'error'; error: WinnowError };

async function resolveEntry(entry: Dirent, path: string, realRoot: string, options: WalkOptions): Promise<Resolved> {
  try {
    if (entry.isSymbolicLink()) {
      const target = await readlink(path).catch(() => undefined);
      const detail = target === undefined ? {} : { target };
      if (!options.followSymlinks) {
        options.onSkip?.(path, 'symlink', detail);
        return { kind: 'skip' };
      }
      const real = await realpath(path).catch(() => undefined);
      if (real !== undefined && real !== realRoot && !real.startsWith(`${realRoot}${sep}`)) {
        options.onSkip?.(path, 'symlink-outside-root', detail);
        return { kind: 'skip' };
      }
      if (real !== undefined) return { kind: 'ok', stats: await stat(path), real };
    }
    // stat follows links: a folder reached through a link has its target's device and inode (loop check).
    return { kind: 'ok', stats: await stat(path) };
  } catch (error) {
    const what = entry.isSymbolicLink() ? 'the symbolic link points nowhere' : 'cannot be read';
    return { kind: 'error', error: fsError(error, path, what) };
  }
}
