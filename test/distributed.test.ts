/**
 * Distributed indexing (issue #17) with real parts: the `winnow` CLI as separate processes (a planner and workers),
 * pg-boss on the PostgreSQL server, the local MiniLM embedder. SciFact abstracts as Markdown files; the reference is a
 * single-process index of the same tree. Small corpora and short job expiry keep each test well under a minute on
 * an idle machine (the timeouts allow for a loaded one).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { createChunkerFromConfig, createEmbedderFromConfig } from '@winnow/assemble';
import { parseConfig } from '@winnow/core';
import { collectionTables, type PgVectorStore } from '@winnow/pgvector';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_NODE_ARGS, cleanEnv } from '../packages/cli/test/support/cli.js';
import { indexFolder, type Models, openStore } from './support/index-helpers.js';

const DATABASE_URL = process.env.DATABASE_URL as string;
const SCIFACT = join(process.env.WINNOW_MODELS ?? '', '..', 'datasets', 'scifact', 'corpus.jsonl.gz');
const SCHEMA = `winnow_q_${process.pid}`;

interface Proc {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `winnow <args>` in `cwd`; `onErr` sees each stderr line (progress and worker logs). */
function winnow(args: string[], cwd: string, onErr?: (line: string) => void): Proc {
  const child = spawn(process.execPath, [...CLI_NODE_ARGS, ...args], {
    cwd,
    env: cleanEnv({ DATABASE_URL, WINNOW_MODELS: process.env.WINNOW_MODELS }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc: Proc = {
    child,
    stdout: '',
    stderr: '',
    done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal }))),
  };
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    proc.stdout += text;
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    proc.stderr += text;
    for (const line of text.split('\n')) if (line) onErr?.(line);
  });
  return proc;
}

const QUEUE_FLAGS = ['--queue-schema', SCHEMA, '--maintenance-interval', '1'];
const plannerArgs = (extra: string[] = []) => [
  'reindex',
  'docs',
  '--distributed',
  '--json',
  '--retry-limit',
  '1',
  '--retry-delay',
  '0',
  '--job-expire',
  '10',
  ...QUEUE_FLAGS,
  ...extra,
];
const workerArgs = (extra: string[] = []) => ['worker', '--batch-size', '4', ...QUEUE_FLAGS, ...extra];

/** The first `n` SciFact abstracts as Markdown files (title as heading), like a small document tree. */
async function scifactTree(n: number): Promise<{ dir: string; ids: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'winnow-dist-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'docs'));
  const ids: string[] = [];
  const lines = createInterface({ input: createReadStream(SCIFACT).pipe(createGunzip()) });
  for await (const line of lines) {
    const doc = JSON.parse(line) as { _id: string; title: string; text: string };
    await writeFile(join(dir, 'docs', `${doc._id}.md`), `# ${doc.title}\n\n${doc.text}\n`);
    ids.push(`${doc._id}.md`);
    if (ids.length === n) break;
  }
  lines.close();
  return { dir, ids: ids.sort() };
}

// One text per embedding call: a q8 model's vector depends on what shares its batch (dynamic quantisation and
// padding), so only batch-independent embedding makes two differently batched runs comparable vector for vector.
const EMBED = { device: 'cpu', batchSize: 1 } as const;
const config = (collection: string) =>
  [
    'version: 1',
    'store:',
    `  collection: ${collection}`,
    'embed:',
    `  device: ${EMBED.device}`,
    `  batchSize: ${EMBED.batchSize}`,
    'rerank:',
    '  provider: none',
    '',
  ].join('\n');

interface Row {
  document_id: string;
  id: string;
  hash: string;
  text: string;
  embedding: string;
}

async function storeRows(db: pg.Client, collection: string): Promise<{ docs: string[]; chunks: Row[] }> {
  const t = collectionTables(collection);
  const docs = await db.query<{ id: string; content_hash: string }>(
    `select id, content_hash from ${t.documents} order by id`,
  );
  const chunks = await db.query<Row>(
    `select document_id, id, hash, text, embedding::text as embedding from ${t.chunks} order by document_id, ordinal`,
  );
  return { docs: docs.rows.map((d) => `${d.id}@${d.content_hash}`), chunks: chunks.rows };
}

/** Largest difference between two stores' vectors for the same chunk ids (the chunk lists must match first). */
function maxVectorDifference(a: Row[], b: Row[]): number {
  let max = 0;
  for (const [i, row] of a.entries()) {
    const x = JSON.parse(row.embedding) as number[];
    const y = JSON.parse((b[i] as Row).embedding) as number[];
    for (const [j, v] of x.entries()) max = Math.max(max, Math.abs(v - (y[j] as number)));
  }
  return max;
}

interface Summary {
  added: number;
  failed: number;
  report: {
    added: string[];
    changed: string[];
    deleted: string[];
    failures: { id: string; code: string }[];
    deadLetter: { id: string; code: string }[];
    deadLetterQueue: string;
    queue: string;
    jobs: { planned: number; enqueued: number; resumed: number; completed: number; failed: number };
    chunks: { written: number };
    writtenByLostAttempts: string[];
    workers: string[];
  };
  store: { documents: number; chunks: number };
}

let models: Models;
let db: pg.Client;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const parsed = parseConfig({ embed: EMBED });
  models = { embedder: await createEmbedderFromConfig(parsed.embed), chunker: await createChunkerFromConfig(parsed) };
  db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
});

afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  await db.query(`drop schema if exists ${SCHEMA} cascade`);
  await db.end();
  await models.embedder.close?.();
});

function dropLater(collection: string) {
  cleanup.push(async () => {
    const store = await openStore('postgres', models.embedder, collection);
    await store.drop();
    await store.close();
  });
}

/** A single-process index of the same tree into its own collection: the reference. */
async function reference(dir: string): Promise<{ collection: string; store: PgVectorStore }> {
  const store = await openStore('postgres', models.embedder);
  cleanup.push(async () => {
    await store.drop();
    await store.close();
  });
  await indexFolder(models, store, join(dir, 'docs'));
  return { collection: store.collection, store };
}

const until = async (what: string, check: () => Promise<boolean> | boolean, ms = 90_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('winnow reindex --distributed with winnow worker processes', () => {
  it('3 workers, one SIGKILLed mid-batch, a corrupt PDF: store equals a single-process index, report exact', async () => {
    const { dir, ids } = await scifactTree(40);
    // Always fails to load: retried once, then dead-lettered; the other documents go on.
    await writeFile(join(dir, 'docs', 'broken.pdf'), '%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage\n%%EOF\n');
    const collection = `dist_a_${process.pid}`;
    await writeFile(join(dir, 'winnow.config.yaml'), config(collection));
    dropLater(collection);
    const expected = await reference(dir);

    const taken = [0, 0, 0];
    let killed: Proc | undefined;
    const planner = winnow(plannerArgs(), dir);
    // 11 batches of 4 over 3 workers: one of them takes a second batch. That worker dies with the batch in hand:
    // its jobs expire and the other workers retry them. Workers run until SIGTERM (an idle exit could come before
    // the killed worker's jobs expire).
    const workers: Proc[] = [0, 1, 2].map((i) =>
      winnow(workerArgs(), dir, (line) => {
        if (line.includes('took') && ++(taken[i] as number) === 2 && killed === undefined) {
          killed = workers[i];
          killed?.child.kill('SIGKILL');
        }
      }),
    );
    cleanup.push(async () => {
      for (const p of [planner, ...workers]) p.child.kill('SIGKILL');
    });
    const result = await planner.done;
    expect(result.code, planner.stderr).toBe(3); // some files failed: the PDF
    expect(killed).toBeDefined();
    const survivors = workers.filter((w) => w !== killed);
    for (const w of survivors) w.child.kill('SIGTERM');
    for (const w of survivors) expect((await w.done).code).toBe(0);

    const summary = JSON.parse(planner.stdout) as Summary;
    const { report } = summary;
    // Exact: every Markdown file added once, the PDF failed and dead-lettered, nothing else.
    expect(report.added.sort()).toEqual(ids);
    expect(report.changed).toEqual([]);
    expect(report.deleted).toEqual([]);
    expect(report.failures.map((f) => [f.id, f.code])).toEqual([['broken.pdf', 'E_PDF_CORRUPT']]);
    expect(report.deadLetter.map((f) => [f.id, f.code])).toEqual([['broken.pdf', 'E_PDF_CORRUPT']]);
    expect(report.jobs).toMatchObject({ planned: 41, enqueued: 41, resumed: 0, completed: 40, failed: 1 });
    // The killed worker's batch was retried elsewhere: some job has more than one attempt.
    const retried = await db.query(
      `select count(*)::int as n from ${SCHEMA}.job where name = $1 and retry_count > 0 and state = 'completed'`,
      [report.queue],
    );
    expect(retried.rows[0].n).toBeGreaterThan(0);
    const dead = await db.query(`select data->>'id' as id from ${SCHEMA}.job where name = $1`, [
      report.deadLetterQueue,
    ]);
    expect(dead.rows.map((r) => r.id)).toEqual(['broken.pdf']);

    // The store equals the single-process index: same documents and versions, same chunks, same vectors.
    const got = await storeRows(db, collection);
    const want = await storeRows(db, expected.collection);
    expect(got.docs).toEqual(want.docs);
    const strip = (rows: Row[]) => rows.map(({ embedding: _, ...rest }) => rest);
    expect(strip(got.chunks)).toEqual(strip(want.chunks));
    expect(new Set(got.chunks.map((c) => c.id)).size).toBe(got.chunks.length);
    const difference = maxVectorDifference(got.chunks, want.chunks);
    console.log(`distributed vs single-process: ${got.chunks.length} chunks, max vector difference ${difference}`);
    expect(difference).toBe(0);
    // Chunks written by completed batches plus those of documents a killed attempt had written: all of them.
    const lost = new Set(report.writtenByLostAttempts);
    const lostChunks = got.chunks.filter((c) => lost.has(c.document_id)).length;
    expect(report.chunks.written + lostChunks).toBe(got.chunks.length);
    expect(summary.store).toMatchObject({ documents: 40, chunks: got.chunks.length });
  }, 240_000);

  it('a planner killed after enqueueing and run again resumes: no job runs twice to completion', async () => {
    const { dir, ids } = await scifactTree(16);
    const collection = `dist_b_${process.pid}`;
    await writeFile(join(dir, 'winnow.config.yaml'), config(collection));
    dropLater(collection);
    const expected = await reference(dir);
    const queue = `winnow-index-${collection}`;
    const completed = async () =>
      (
        await db
          .query<{ id: string; doc: string; completed_on: Date }>(
            `select id::text as id, data->>'id' as doc, completed_on from ${SCHEMA}.job
            where name = $1 and state = 'completed' order by id`,
            [queue],
          )
          // The queue's schema appears when the first process starts pg-boss.
          .catch(() => ({ rows: [] }))
      ).rows;

    const first = winnow(workerArgs(['--exit-when-idle', '60']), dir);
    const planner = winnow(plannerArgs(['--retry-limit', '2']), dir);
    const enqueued = async () =>
      (await db.query(`select count(*)::int as n from ${SCHEMA}.job where name = $1`, [queue]).catch(() => undefined))
        ?.rows[0].n === ids.length;
    const later: Proc[] = [];
    cleanup.push(async () => {
      for (const p of [first, planner, ...later]) p.child.kill('SIGKILL');
    });
    // Killed once every job is in the queue and a first batch is done (the worker is on its next one).
    await until('a first completed batch', async () => (await enqueued()) && (await completed()).length >= 4);
    planner.child.kill('SIGKILL');
    expect((await planner.done).signal).toBe('SIGKILL');
    const before = await completed();

    const rerun = winnow(plannerArgs(['--retry-limit', '2']), dir);
    const second = winnow(workerArgs(['--exit-when-idle', '60']), dir);
    later.push(rerun, second);
    const result = await rerun.done;
    expect(result.code, rerun.stderr).toBe(0);
    const { report } = JSON.parse(rerun.stdout) as Summary;
    // Every job the rerun waited for was already queued: none was added again.
    expect(report.jobs.enqueued).toBe(0);
    expect(report.jobs.resumed).toBe(report.jobs.planned);
    expect(report.jobs.planned).toBeGreaterThan(0);
    // Documents finished before the kill were not planned again, and their jobs did not run again.
    const finishedBefore = new Set(before.map((j) => j.doc));
    expect(report.added.filter((id) => finishedBefore.has(id))).toEqual([]);
    const after = new Map((await completed()).map((j) => [j.id, j.completed_on.getTime()]));
    for (const job of before) expect(after.get(job.id)).toBe(job.completed_on.getTime());
    // One job per document version, however often it was planned.
    const rows = await db.query<{ doc: string }>(`select data->>'id' as doc from ${SCHEMA}.job where name = $1`, [
      queue,
    ]);
    expect(rows.rows.map((r) => r.doc).sort()).toEqual(ids);

    // Graceful stop: SIGTERM ends each worker (its batch in hand finished) with exit 0.
    for (const w of [first, second]) w.child.kill('SIGTERM');
    for (const w of [first, second]) expect((await w.done).code).toBe(0);

    const got = await storeRows(db, collection);
    const want = await storeRows(db, expected.collection);
    expect(got.docs).toEqual(want.docs);
    expect(got.chunks).toEqual(want.chunks);
  }, 240_000);
});
