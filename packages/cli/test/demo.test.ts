/**
 * scripts/demo.sh without its install and build steps (WINNOW_DEMO_SKIP_SETUP=1; the CLI from the build when it
 * is fresh, else from source, as in support/cli.ts; CPU only, to skip probing for a GPU): it indexes the
 * project's own documentation into PGlite and asks about it, first with no generation endpoint (sources and the
 * hint), then with OPENAI_BASE_URL pointing at a local OpenAI-protocol server (a streamed, cited answer).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAIServer, startOpenAIServer } from '../../../test/support/openai-server.js';
import { NO_GENERATOR_HINT } from '../src/commands/ask-command.js';
import { CLI_FROM, cleanEnv, REPO_ROOT } from './support/cli.js';

const QUESTION = 'What do the exit codes of the winnow command mean?';
let demoDir: string;
let server: OpenAIServer;

function runDemo(env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(REPO_ROOT, 'scripts/demo.sh'), QUESTION], {
      cwd: REPO_ROOT,
      env: cleanEnv({
        WINNOW_DEMO_DIR: demoDir,
        WINNOW_DEMO_SKIP_SETUP: '1',
        WINNOW_DEMO_DEVICE: 'cpu',
        ...(CLI_FROM === 'source' ? { WINNOW_DEMO_FROM_SOURCE: '1' } : {}),
        ...env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (piece: string) => {
      stdout += piece;
    });
    child.stderr.setEncoding('utf8').on('data', (piece: string) => {
      stderr += piece;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The files the demo indexes, as file URLs. */
function documentationUrls(): string[] {
  const files = ['README.md', 'ARCHITECTURE.md'];
  for (const name of readdirSync(join(REPO_ROOT, 'packages'))) {
    if (existsSync(join(REPO_ROOT, 'packages', name, 'README.md'))) files.push(`packages/${name}/README.md`);
  }
  return files.map((file) => pathToFileURL(join(REPO_ROOT, file)).href);
}

beforeAll(async () => {
  demoDir = mkdtempSync(join(tmpdir(), 'winnow-demo-'));
  server = await startOpenAIServer();
});

afterAll(async () => {
  await server?.close();
  if (demoDir) rmSync(demoDir, { recursive: true, force: true });
});

describe('scripts/demo.sh', () => {
  it('indexes the documentation and, with no endpoint, prints the sources and how to configure one', async () => {
    const docs = documentationUrls();
    const run = await runDemo();
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(demoDir, 'winnow.config.yaml'))).toBe(true);
    expect(existsSync(join(demoDir, 'db'))).toBe(true);
    expect(run.stdout).toMatch(
      new RegExp(`^reindex: ${docs.length} added, 0 changed, 0 deleted, 0 unchanged, 0 failed`),
    );
    expect(run.stderr).toContain(NO_GENERATOR_HINT);
    const sources = [...run.stdout.matchAll(/^\d+\. (file:\/\/\S+)/gm)].map((m) => m[1]);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(docs).toContain(source);
    expect(sources).toContain(pathToFileURL(join(REPO_ROOT, 'packages/cli/README.md')).href);
  });

  it('re-runs incrementally and streams a cited answer when OPENAI_BASE_URL is set', async () => {
    server.enqueue({ route: '/chat/completions', content: ['Exit code 4 means', ' another run holds the lock [1].'] });
    const run = await runDemo({ OPENAI_BASE_URL: server.baseURL });
    expect(run.code, run.stderr).toBe(0);
    // Files edited between the two runs (the tree is a working copy) are re-indexed; the rest is skipped.
    const counts = /^reindex: (\d+) added, (\d+) changed, 0 deleted, (\d+) unchanged, 0 failed/.exec(run.stdout);
    const [added, changed, unchanged] = (counts ?? []).slice(1).map(Number);
    expect(unchanged).toBeGreaterThan(0);
    expect((added ?? 0) + (changed ?? 0) + (unchanged ?? 0)).toBe(documentationUrls().length);
    expect(run.stdout).toContain('Exit code 4 means another run holds the lock [1].\n\nSources\n[1] ');
    const [request] = server.requestsTo('/chat/completions');
    const body = request?.body as { messages: unknown } | undefined;
    expect(JSON.stringify(body?.messages)).toContain(QUESTION);
  });
});
