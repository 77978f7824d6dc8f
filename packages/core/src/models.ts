import { existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

/** Where a model named in configuration will be loaded from. */
export type ModelLocation =
  | {
      kind: 'local' /** Absolute path of the model folder. */;
      dir: string /** What the user asked for. */;
      requested: string;
    }
  | { kind: 'hub' /** Hugging Face hub id, e.g. `Xenova/all-MiniLM-L6-v2`. */; id: string; requested: string };

export interface ResolveModelOptions {
  /** A folder of model folders; defaults to the WINNOW_MODELS environment variable. */
  modelsDir?: string | undefined;
  /** Where to start looking for a `shared/models` folder beside the checkout; defaults to the working directory. */
  searchFrom?: string;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `../shared/models` beside a checkout: the first `shared/models` folder found walking up from `start`. */
export function findSharedModelsDir(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, 'shared', 'models');
    if (isDirectory(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Hub ids for the bare folder names winnow's defaults and docs use, so that a user without WINNOW_MODELS who keeps
 * the default `all-MiniLM-L6-v2` or `ms-marco-MiniLM-L-12-v2` downloads the transformers.js export of that model
 * (bare names are not hub ids). Other names go to the hub as written.
 */
export const KNOWN_HUB_IDS: Readonly<Record<string, string>> = {
  'all-MiniLM-L6-v2': 'Xenova/all-MiniLM-L6-v2',
  'bge-small-en-v1.5': 'Xenova/bge-small-en-v1.5',
  'ms-marco-MiniLM-L-12-v2': 'Xenova/ms-marco-MiniLM-L-12-v2',
  'ms-marco-MiniLM-L-6-v2': 'Xenova/ms-marco-MiniLM-L-6-v2',
};

/**
 * Resolves a model reference in this order: an existing folder path; a folder of that name (or of the hub id's
 * last part) under WINNOW_MODELS; the same under `shared/models` beside the checkout; else the Hugging Face hub
 * (a bare default name through KNOWN_HUB_IDS).
 * Offline users point WINNOW_MODELS at their folder; online users just name a hub model.
 */
export function resolveModel(reference: string, options: ResolveModelOptions = {}): ModelLocation {
  const looksLikePath = isAbsolute(reference) || reference.startsWith('./') || reference.startsWith('../');
  if (looksLikePath || (existsSync(reference) && isDirectory(reference))) {
    return { kind: 'local', dir: resolve(reference), requested: reference };
  }
  const roots = [
    options.modelsDir ?? process.env.WINNOW_MODELS,
    findSharedModelsDir(options.searchFrom ?? process.cwd()),
  ].filter((root): root is string => typeof root === 'string' && root.length > 0);
  const names = [...new Set([reference, basename(reference)])];
  for (const root of roots) {
    for (const name of names) {
      const dir = resolve(root, name);
      if (isDirectory(dir)) return { kind: 'local', dir, requested: reference };
    }
  }
  return { kind: 'hub', id: KNOWN_HUB_IDS[reference] ?? reference, requested: reference };
}
