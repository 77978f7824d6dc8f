import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type SourceItem, sleep, toWinnowError, WinnowError } from '@winnow/core';
import { type FileSourceOptions, fileSource } from '@winnow/ingest';
import type { PgVectorStore } from '@winnow/pgvector';
import { type Indexer, REINDEX_LOCK, type RunReport } from '@winnow/pipeline';
import type PgBoss from 'pg-boss';
import {
  type BatchReport,
  type CompletedOutput,
  type DocumentJob,
  type FailedOutput,
  plannerHolder,
  queueNames,
} from './queue.js';

export interface WorkerOptions {
  boss: PgBoss;
  /** pg-boss's schema (where the planner names itself). Default `pgboss`. */
  schema?: string;
  store: PgVectorStore;
  /** The single-process indexer: a worker runs it over its jobs' documents (no second load/chunk/embed/write). */
  indexer: Indexer;
  /** How files are read (config `ingest`: size limit, type mismatch policy, encoding). */
  ingest?: Omit<FileSourceOptions, 'known' | 'root'>;
  /** Jobs (documents) taken at once and indexed as one batch: one embedding call covers them. Default 16. */
  batchSize?: number;
  /** Batches in flight in this process; it takes a new batch only when one ends (backpressure). Default 1. */
  concurrency?: number;
  /** How long an idle worker (empty queue, or no planner) waits before it looks again. Default 1000 ms. */
  pollMs?: number;
  /** Stops the worker gracefully: batches in flight finish, no new jobs are taken. */
  signal?: AbortSignal;
  /**
   * Stop once there has been no job for this long since a planner was first seen (a run that is over). Default:
   * never; before any planner appears the worker waits however long it takes.
   */
  exitWhenIdleMs?: number;
  /** This worker's name in job outputs. Default `host:pid:random`. */
  name?: string;
  /** Loaded and about to look for jobs. */
  onReady?: () => void;
  /** A batch was taken from the queue (its jobs are this worker's until it ends them or their expiry). */
  onTake?: (jobs: number) => void;
  onBatch?: (event: {
    jobs: number;
    completed: number;
    failed: number;
    ms: number;
    error?: string;
    /** The indexer's time per stage for the batch. */
    durationsMs?: BatchReport['durationsMs'];
  }) => void;
}

export interface WorkerSummary {
  name: string;
  batches: number;
  completed: number;
  failed: number;
}

/**
 * `winnow worker`: takes document jobs from the collection's queue while a planner holds the reindex lock, indexes
 * each batch with the indexer (each document written atomically, in a transaction that checks the planner still
 * holds the lock), completes the jobs it wrote and fails the others (retried, then dead-lettered by pg-boss). A
 * killed worker's jobs expire and are retried by others.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  const { boss, store, signal } = options;
  if (store.driver.kind !== 'postgres') {
    throw new WinnowError('E_CONFIG_INVALID', 'a worker needs a PostgreSQL server, not PGlite', {
      setting: 'DATABASE_URL',
    });
  }
  const schema = options.schema ?? 'pgboss';
  const queue = queueNames(store.collection).jobs;
  const name = options.name ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const batchSize = options.batchSize ?? 16;
  const pollMs = options.pollMs ?? 1000;
  const summary: WorkerSummary = { name, batches: 0, completed: 0, failed: 0 };
  let idleSince: number | undefined;
  const stopping = () => signal?.aborted === true;
  const idleTooLong = () =>
    options.exitWhenIdleMs !== undefined &&
    idleSince !== undefined &&
    performance.now() - idleSince > options.exitWhenIdleMs;
  // Sleeps that end early on a stop, so SIGTERM is answered at once by an idle worker.
  const pause = (ms: number) => sleep(ms, signal).catch(() => undefined);

  /** Whether a live planner holds the lock: the backend its row names holds it now. */
  const plannerAlive = async () => {
    const named = await plannerHolder(store.driver, schema, store.collection).catch(() => undefined);
    if (!named) return false;
    const holder = await store.lockHolder(REINDEX_LOCK);
    return holder?.pid === named.pid && Date.parse(holder.started) === Date.parse(named.started);
  };

  async function loop() {
    while (!stopping() && !idleTooLong()) {
      if (!(await plannerAlive())) {
        await pause(pollMs);
        continue;
      }
      idleSince ??= performance.now();
      const jobs = await boss.fetch<DocumentJob>(queue, { batchSize });
      if (jobs.length === 0) {
        await pause(pollMs);
        continue;
      }
      idleSince = performance.now();
      options.onTake?.(jobs.length);
      await indexBatch(jobs);
      idleSince = performance.now();
    }
  }

  async function indexBatch(jobs: PgBoss.Job<DocumentJob>[]) {
    const started = performance.now();
    const batchId = randomUUID();
    let report: RunReport;
    try {
      // Every write checks, in its transaction, that the backend the planner row names still holds the lock.
      report = await store.withLockHeldBy(
        REINDEX_LOCK,
        async (tx) => plannerHolder(tx, schema, store.collection),
        // No signal: a stop lets the batch finish (graceful), a kill leaves its jobs to expire and be retried.
        async () =>
          options.indexer.run(sourceOf(jobs, options.ingest ?? {}), {
            deleteMissing: false,
            takeLock: false,
            // The planner builds the vector index once at the end: a first load is not indexed row by row.
            buildIndex: false,
            // Only this batch's stored versions: never a listing of the whole collection per batch.
            stored: await store.listDocuments({ ids: jobs.map((j) => j.data.id) }),
          }),
      );
    } catch (error) {
      // The whole batch failed (lost lock, database down): each job is retried (or dead-lettered) by pg-boss.
      const e = toWinnowError(error, 'E_INTERNAL');
      const output: FailedOutput = { code: e.code, message: e.message, worker: name };
      for (const job of jobs) await boss.fail(queue, job.id, output);
      summary.batches++;
      summary.failed += jobs.length;
      options.onBatch?.({
        jobs: jobs.length,
        completed: 0,
        failed: jobs.length,
        ms: performance.now() - started,
        error: e.message,
      });
      if (e.code === 'E_LOCK_LOST') await pause(pollMs);
      return;
    }
    const batch: BatchReport = {
      id: batchId,
      documents: jobs.length,
      chunks: report.chunks,
      tokens: report.tokens,
      durationsMs: {
        load: report.durationsMs.load,
        chunk: report.durationsMs.chunk,
        embed: report.durationsMs.embed,
        store: report.durationsMs.store,
        total: report.durationsMs.total,
      },
    };
    const failures = new Map(report.failures.map((f) => [f.id, f]));
    const added = new Set(report.added);
    const changed = new Set(report.changed);
    const done: string[] = [];
    const outcomes: CompletedOutput['outcomes'] = {};
    for (const job of jobs) {
      const failure = failures.get(job.data.id);
      if (failure) {
        const output: FailedOutput = { code: failure.code, message: failure.message, worker: name };
        await boss.fail(queue, job.id, output);
        summary.failed++;
        continue;
      }
      const id = job.data.id;
      outcomes[id] = added.has(id) ? 'added' : changed.has(id) ? 'changed' : 'unchanged';
      done.push(job.id);
    }
    // One statement completes the batch: every job records the same output (the batch and each document's outcome).
    // (pg-boss 10 takes an id or an array of ids with data; its types list the array only without data.)
    const output: CompletedOutput = { worker: name, batch, outcomes };
    if (done.length > 0) await boss.complete(queue, done as unknown as string, output);
    summary.batches++;
    summary.completed += done.length;
    options.onBatch?.({
      jobs: jobs.length,
      completed: done.length,
      failed: jobs.length - done.length,
      ms: performance.now() - started,
      durationsMs: batch.durationsMs,
    });
  }

  // An empty run loads what the indexer builds on first use (the chunker's tokenizer), so the first batch is not slow.
  await options.indexer.run([], { takeLock: false, stored: [] });
  options.onReady?.();
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, loop));
  return summary;
}

/**
 * The jobs' documents through the source API, each under the id the planner gave it. The contract for sources a
 * worker cannot see locally: the planner enqueues URIs, a worker resolves each URI to a source; `file:` URLs (the
 * folder source) are the one kind implemented.
 */
async function* sourceOf(
  jobs: PgBoss.Job<DocumentJob>[],
  ingest: Omit<FileSourceOptions, 'known' | 'root'>,
): AsyncGenerator<SourceItem> {
  for (const { data } of jobs) {
    try {
      if (!data.uri.startsWith('file:')) {
        throw new WinnowError('E_UNSUPPORTED_TYPE', `a worker reads file: URIs only, not ${data.uri}`, {
          file: data.uri,
        });
      }
      // `known` keeps the planner's id for this URI, as a folder walk would give it.
      yield* fileSource(fileURLToPath(data.uri), { ...ingest, known: [{ id: data.id, uri: data.uri }] });
    } catch (error) {
      const e = toWinnowError(error, 'E_FILE_NOT_FOUND', { file: data.uri });
      yield { rejected: { id: data.id, uri: data.uri, code: e.code, message: e.message } };
    }
  }
}
