/**
 * `@winnow/langchain` needs winnow's contracts only: installing it must not pull in the model runtime, the PDF
 * parser or the database drivers. Walks the installed dependency closure of its package.json (dependencies,
 * optional and peer dependencies; not devDependencies, which users do not install).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const FORBIDDEN = [
  'onnxruntime-node',
  'onnxruntime-web',
  'onnxruntime-common',
  '@huggingface/transformers',
  'pdfjs-dist',
  'pdf-parse',
  'pg',
  '@electric-sql/pglite',
];

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** The installed folder of `name` as Node would find it from `fromDir` (nearest node_modules upwards). */
function installedDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

function dependencyClosure(packageDir: string): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const visit = (dir: string) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    const deps = { ...manifest.peerDependencies, ...manifest.optionalDependencies, ...manifest.dependencies };
    for (const name of Object.keys(deps)) {
      names.add(name);
      const found = installedDir(name, dir);
      if (found) visit(found);
    }
  };
  visit(realpathSync(packageDir));
  return names;
}

describe('@winnow/langchain dependency closure', () => {
  const closure = dependencyClosure(PACKAGE_DIR);

  it('reaches LangChain and winnow core', () => {
    expect(closure.has('@langchain/core')).toBe(true);
    expect(closure.has('@winnow/core')).toBe(true);
    expect(closure.size).toBeGreaterThan(5);
  });

  it('has no model runtime, PDF parser, database driver or stage package', () => {
    expect(FORBIDDEN.filter((name) => closure.has(name))).toEqual([]);
    expect([...closure].filter((name) => name.startsWith('@winnow/') && name !== '@winnow/core')).toEqual([]);
  });
});
