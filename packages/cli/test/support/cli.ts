/**
 * Runs the `winnow` command the way a user does: a child process per command, in a working directory of the test's
 * choosing. The child gets a clean environment: no DATABASE_URL or OPENAI_* unless a test passes them, models from
 * WINNOW_MODELS, no colours.
 *
 * Which build runs: the compiled packages (packages/cli/dist/bin.js) when every package's dist is at least as new
 * as its sources, as after `pnpm build` in CI; otherwise the sources through tsx, so an edit is never tested
 * against a stale build. Starting from dist costs about half the CPU of tsx (most of a command's start-up).
 * WINNOW_CLI_FROM=source|dist forces one.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const SHARED = join(REPO_ROOT, '../shared');
export const MARKDOWN_OLD = join(SHARED, 'corpora/markdown-versions/old');
export const MARKDOWN_NEW = join(SHARED, 'corpora/markdown-versions/new');

/** tsx by absolute path: the child's working directory is outside the repository. */
const TSX_LOADER = join(REPO_ROOT, 'node_modules/tsx/dist/esm/index.mjs');
const SOURCE_ARGS = ['--conditions=source', '--import', TSX_LOADER, join(REPO_ROOT, 'packages/cli/src/bin.ts')];
const DIST_ARGS = [join(REPO_ROOT, 'packages/cli/dist/bin.js')];

/**
 * Whether every `packages/<name>/src/**.ts` has its compiled `dist/**.js`, and the build saw the source: the js file
 * or the package's tsbuildinfo (written by each `tsc -b` that checks the package, even when it re-emits nothing
 * because a touched file's content is unchanged) is at least as new as the source.
 */
export function distIsFresh(): boolean {
  const packages = join(REPO_ROOT, 'packages');
  const mtime = (path: string) => (existsSync(path) ? statSync(path).mtimeMs : Number.NEGATIVE_INFINITY);
  for (const name of readdirSync(packages)) {
    const src = join(packages, name, 'src');
    if (!existsSync(src)) continue;
    const built = mtime(join(packages, name, 'tsconfig.tsbuildinfo'));
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
      const compiled = join(packages, name, 'dist', `${file.slice(0, -3)}.js`);
      if (!existsSync(compiled) || Math.max(built, mtime(compiled)) < mtime(join(src, file))) return false;
    }
  }
  return true;
}

/** Where the CLI runs from in this test process: decided once. */
export const CLI_FROM: 'source' | 'dist' =
  process.env.WINNOW_CLI_FROM === 'source' || process.env.WINNOW_CLI_FROM === 'dist'
    ? process.env.WINNOW_CLI_FROM
    : distIsFresh()
      ? 'dist'
      : 'source';

/** The node arguments that start the CLI. */
export const CLI_NODE_ARGS = CLI_FROM === 'dist' ? DIST_ARGS : SOURCE_ARGS;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as it arrived, one entry per read: shows that an answer was streamed in pieces. */
  stdoutReads: string[];
}

export interface CliOptions {
  cwd: string;
  /** Added to the clean environment; `undefined` values remove a variable. */
  env?: Record<string, string | undefined>;
}

/** The environment a user's shell would give: nothing from the test runner that changes where data goes. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of ['DATABASE_URL', 'OPENAI_BASE_URL', 'OPENAI_API_KEY', 'FORCE_COLOR', 'WINNOW_CLI_FROM']) {
    delete env[name];
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Runs `winnow <args>` and resolves when it exits (asynchronously, so a server in this process keeps serving). */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI_NODE_ARGS, ...args], {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdoutReads: string[] = [];
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (piece: string) => stdoutReads.push(piece));
    child.stderr.setEncoding('utf8').on('data', (piece: string) => {
      stderr += piece;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: stdoutReads.join(''), stderr, stdoutReads }));
  });
}

/** Parses the JSON a `--json` run printed, with the run's output in the failure message when it is not JSON. */
export function parseJsonOutput<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `expected JSON on stdout (exit ${result.code})\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
    );
  }
}

/** Copies files (paths relative to `from`) into `to`, keeping sub-folders. */
export function copyFiles(from: string, to: string, names: readonly string[]): void {
  for (const name of names) {
    mkdirSync(dirname(join(to, name)), { recursive: true });
    cpSync(join(from, name), join(to, name));
  }
}

/** Settings every test config shares: CPU only (no GPU probing), the local cross-encoder as stage 2. */
export function testConfigYaml(overrides: { collection?: string; rerank?: boolean; recallK?: number } = {}): string {
  return [
    'version: 1',
    'store:',
    '  path: .winnow/db',
    `  collection: ${overrides.collection ?? 'winnow'}`,
    'embed:',
    '  model: all-MiniLM-L6-v2',
    '  device: cpu',
    'recall:',
    '  mode: hybrid',
    `  k: ${overrides.recallK ?? 20}`,
    'rerank:',
    `  provider: ${overrides.rerank === false ? 'none' : 'transformers'}`,
    '  model: ce-minilm-l6-scifact',
    '  device: cpu',
    '  k: 3',
    '',
  ].join('\n');
}
