/**
 * The same CLI against a PostgreSQL server (DATABASE_URL, set up by scripts/setup-postgres.sh): the variable
 * switches the store to the server; a collection of its own keeps this run apart from others on the database.
 * The reindex lock is a server advisory lock here, so a run on another machine would be kept out the same way.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgVectorStore, type PgVectorStore } from '@winnow/pgvector';
import { REINDEX_LOCK } from '@winnow/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.js';
import { copyFiles, MARKDOWN_OLD, parseJsonOutput, runCli, testConfigYaml } from './support/cli.js';

const DATABASE_URL = process.env.DATABASE_URL ?? '';
const collection = `cli_test_${process.pid}_${Date.now().toString(36)}`;
let work: string;
let store: PgVectorStore | undefined;
const cli = (...args: string[]) => runCli(args, { cwd: work, env: { DATABASE_URL } });

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'winnow-cli-pg-'));
  copyFiles(MARKDOWN_OLD, join(work, 'docs'), ['completion.md', 'git.md', 'uninstall.md']);
  writeFileSync(join(work, 'winnow.config.yaml'), testConfigYaml({ collection, rerank: false }));
});

afterAll(async () => {
  await store?.drop();
  await store?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('winnow on a PostgreSQL server', () => {
  it('indexes into and queries the server collection', async () => {
    const index = await cli('index', 'docs', '--json');
    expect(index.code, index.stderr).toBe(EXIT.ok);
    expect(parseJsonOutput(index)).toMatchObject({
      added: 3,
      failed: 0,
      store: { driver: 'postgres', collection, documents: 3 },
    });

    const query = await cli('query', 'How do I remove pnpm from my computer?', '--json', '-k', '2');
    expect(query.code, query.stderr).toBe(EXIT.ok);
    const output = parseJsonOutput<{ results: { documentId: string; scores: Record<string, number> }[] }>(query);
    expect(output.results).toHaveLength(2);
    expect(output.results[0]?.documentId).toBe('uninstall.md');
    expect(Object.keys(output.results[0]?.scores ?? {})).toEqual(expect.arrayContaining(['dense', 'lexical']));
  });

  it('a reindex exits 4 while another client holds the advisory lock', async () => {
    store = await openPgVectorStore({ driver: 'postgres', url: DATABASE_URL, collection });
    const run = await store.withLock(REINDEX_LOCK, () => cli('reindex', 'docs', '--json'), { wait: false });
    expect(run.code).toBe(EXIT.locked);
    expect(parseJsonOutput<{ error: { code: string } }>(run).error.code).toBe('E_LOCKED');
  });
});
