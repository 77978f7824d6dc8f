import { randomUUID } from 'node:crypto';
import { type SourceItem, sleep, WinnowError } from '@winnow/core';
import type { PgVectorStore } from '@winnow/pgvector';
import { type Indexer, REINDEX_LOCK, type RunReport, type SourceFailure } from '@winnow/pipeline';
import type PgBoss from 'pg-boss';
import {
  type BatchReport,
  type CompletedOutput,
  type DocumentJob,
  ensurePlannerTable,
  type FailedOutput,
  jobId,
  publishPlanner,
  queueNames,
  withdrawPlanner,
} from './queue.js';

export interface JobSettings {
  /** Attempts after the first before a job is dead-lettered. Default 2. */
  retryLimit?: number;
  /** Seconds before a failed job is tried again. Default 10. */
  retryDelaySeconds?: number;
  /**
   * Seconds a worker may hold a job before it is taken as dead and the job retried elsewhere; it must exceed the
   * time of one worker batch. Default 900.
   */
  expireInSeconds?: number;
}

export interface PlannerOptions extends JobSettings {
  boss: PgBoss;
  /** pg-boss's schema (the planner table lives there too). Default `pgboss`. */
  schema?: string;
  /** The collection's store on a PostgreSQL server; the planner holds its reindex lock for the whole run. */
  store: PgVectorStore;
  /** The single-process indexer (for its plan: the same diff by content hash as a local reindex). */
  indexer: Indexer;
  /** Delete stored documents the source no longer has, after every job has ended. Default true. */
  deleteMissing?: boolean;
  /** Wait for another run holding the lock instead of failing with E_LOCKED. */
  waitForLock?: boolean;
  /** How often job states are read while waiting. Default 1000 ms. */
  pollMs?: number;
  onProgress?: (progress: PlannerProgress) => void;
  /** Called once every job is in the queue, before waiting (tests stop a planner here). */
  onEnqueued?: (planned: number) => void;
  signal?: AbortSignal;
}

export interface PlannerProgress {
  phase: 'plan' | 'wait' | 'delete' | 'done';
  planned: number;
  completed: number;
  failed: number;
  active: number;
  waiting: number;
}

export interface DeadLetter {
  id: string;
  uri: string;
  job: string;
  code: string;
  message: string;
}

/** The planner's run report: the single-process report's fields, aggregated over the jobs, plus the queue's view. */
export interface DistributedRunReport extends RunReport {
  run: string;
  queue: string;
  deadLetterQueue: string;
  jobs: {
    planned: number;
    /** New jobs this run put in the queue. */
    enqueued: number;
    /** Jobs an earlier, interrupted planner had enqueued: this run waited for them instead of adding them again. */
    resumed: number;
    completed: number;
    failed: number;
  };
  /** Documents whose jobs failed on every attempt; each is also in `failures`, and in the dead-letter queue. */
  deadLetter: DeadLetter[];
  /**
   * Documents an attempt wrote before its worker died: the retry found them written, so their chunks are in the
   * store but not in `chunks.written` (which sums the batches of completed attempts).
   */
  writtenByLostAttempts: string[];
  workers: string[];
}

interface PlannedJob {
  job: string;
  data: DocumentJob;
}

const ENQUEUE_BATCH = 500;
const STATE_SLICE = 10_000;

/**
 * `winnow reindex --distributed`: takes the collection's reindex lock and names itself its holder for the workers,
 * plans with the indexer (added / changed / deleted by content hash, nothing loaded), enqueues one job per
 * document version, waits for the jobs, then applies deletions and builds the vector index, and releases the lock.
 * A planner killed and run again resumes: written documents are unchanged now, and jobs still queued have the same
 * ids, so they are waited for, not added again.
 */
export async function runPlanner(
  sources: AsyncIterable<SourceItem> | Iterable<SourceItem>,
  options: PlannerOptions,
): Promise<DistributedRunReport> {
  const { store, boss } = options;
  if (store.driver.kind !== 'postgres') {
    throw new WinnowError('E_CONFIG_INVALID', 'distributed indexing needs a PostgreSQL server, not PGlite', {
      setting: 'DATABASE_URL',
      hint: 'set DATABASE_URL: the queue and the workers share the store on that server',
    });
  }
  const schema = options.schema ?? 'pgboss';
  const names = queueNames(store.collection);
  await boss.createQueue(names.deadLetter);
  await boss.createQueue(names.jobs, { name: names.jobs, deadLetter: names.deadLetter });
  await ensurePlannerTable(store.driver, schema);
  const run = randomUUID();
  return store.withLock(
    REINDEX_LOCK,
    async () => {
      const holder = await store.lockHolder(REINDEX_LOCK);
      if (!holder) throw new WinnowError('E_INTERNAL', 'the reindex lock is taken but has no holder on the server');
      await publishPlanner(store.driver, schema, store.collection, run, holder);
      try {
        return await plan(sources, options, run, schema, names);
      } finally {
        await withdrawPlanner(store.driver, schema, store.collection, run).catch(() => undefined);
      }
    },
    { wait: options.waitForLock ?? false, ...(options.signal ? { signal: options.signal } : {}) },
  );
}

async function plan(
  sources: AsyncIterable<SourceItem> | Iterable<SourceItem>,
  options: PlannerOptions,
  run: string,
  schema: string,
  names: { jobs: string; deadLetter: string },
): Promise<DistributedRunReport> {
  const { store, boss } = options;
  const started = performance.now();
  const planned: PlannedJob[] = [];
  let pending: PlannedJob[] = [];
  let enqueued = 0;
  const jobOptions = {
    retryLimit: options.retryLimit ?? 2,
    retryDelay: options.retryDelaySeconds ?? 10,
    expireInSeconds: options.expireInSeconds ?? 900,
  };
  const progress = (phase: PlannerProgress['phase'], counts: Omit<PlannerProgress, 'phase' | 'planned'>) =>
    options.onProgress?.({ phase, planned: planned.length, ...counts });
  let stored: Map<string, string> | undefined;
  const flush = async () => {
    if (pending.length === 0) return;
    const existing = await existingJobs(boss, schema, names.jobs, pending);
    // A job that ended before this plan and whose version is not stored (it failed, or the store was reset since)
    // is dropped and enqueued afresh: a new plan is a new chance. A completed one whose version is stored was
    // finished by a worker while this plan read the source: kept, so it never runs twice.
    const stale: string[] = [];
    for (const p of pending) {
      const state = existing.get(p.job);
      if (state === undefined || state === 'created' || state === 'retry' || state === 'active') continue;
      if (state === 'completed') {
        stored ??= new Map((await store.listDocuments()).map((d) => [d.id, d.contentHash]));
        if (stored.get(p.data.id) === p.data.contentHash) continue;
      }
      stale.push(p.job);
    }
    if (stale.length > 0) await boss.deleteJob(names.jobs, stale);
    // Same id, same document version: pg-boss's ON CONFLICT DO NOTHING keeps the job already there.
    await boss.insert(pending.map((p) => ({ id: p.job, name: names.jobs, data: p.data, ...jobOptions })));
    enqueued += pending.length - existing.size + stale.length;
    pending = [];
    progress('plan', { completed: 0, failed: 0, active: 0, waiting: planned.length });
  };
  // The one diff (by content hash) is the indexer's own, run in plan-only mode under the lock held here.
  const planReport = await options.indexer.run(sources, {
    takeLock: false,
    deleteMissing: options.deleteMissing ?? true,
    ...(options.signal ? { signal: options.signal } : {}),
    planOnly: async (document, kind) => {
      const entry: PlannedJob = {
        job: jobId(store.collection, document.id, document.contentHash),
        data: { id: document.id, uri: document.uri, contentHash: document.contentHash, kind, run },
      };
      planned.push(entry);
      pending.push(entry);
      if (pending.length >= ENQUEUE_BATCH) await flush();
    },
  });
  await flush();
  options.onEnqueued?.(planned.length);

  // Wait for every job to end (completed, or failed after its retries), with progress from job states.
  const ids = planned.map((p) => p.job);
  for (;;) {
    const counts = await stateCounts(boss, schema, names.jobs, ids);
    progress('wait', counts);
    if (counts.active + counts.waiting === 0) break;
    await sleep(options.pollMs ?? 1000, options.signal);
  }
  const ended = await jobOutputs(boss, schema, names.jobs, ids);
  const report = aggregate(planReport, planned, ended, names, run);
  report.jobs.enqueued = enqueued;
  report.jobs.resumed = planned.length - enqueued;

  // Deletions only after the jobs: the plan listed them (documents the whole source no longer has).
  const t = performance.now();
  if (report.deleted.length > 0) await store.deleteDocuments(report.deleted);
  report.durationsMs.delete = Math.round(performance.now() - t);
  // Workers leave the vector index to the planner (a no-op when it exists): one build after a first bulk load.
  if (report.jobs.completed > 0) await store.buildIndex();
  report.durationsMs.total = Math.round(performance.now() - started);
  progress('done', {
    completed: report.jobs.completed,
    failed: report.jobs.failed,
    active: 0,
    waiting: 0,
  });
  return report;
}

/** The states of those of these jobs the queue already has (from an interrupted or earlier planner). */
async function existingJobs(
  boss: PgBoss,
  schema: string,
  queue: string,
  jobs: PlannedJob[],
): Promise<Map<string, string>> {
  const { rows } = await boss
    .getDb()
    .executeSql(
      `select id::text as id, state::text as state from ${schema}.job where name = $1 and id = any($2::uuid[])`,
      [queue, jobs.map((j) => j.job)],
    );
  return new Map((rows as { id: string; state: string }[]).map((r) => [r.id, r.state]));
}

async function stateCounts(
  boss: PgBoss,
  schema: string,
  queue: string,
  ids: string[],
): Promise<Omit<PlannerProgress, 'phase' | 'planned'>> {
  const counts = { completed: 0, failed: 0, active: 0, waiting: 0 };
  for (let start = 0; start < ids.length; start += STATE_SLICE) {
    const { rows } = await boss
      .getDb()
      .executeSql(
        `select state::text as state, count(*)::int as n from ${schema}.job where name = $1 and id = any($2::uuid[]) group by state`,
        [queue, ids.slice(start, start + STATE_SLICE)],
      );
    for (const { state, n } of rows as { state: string; n: number }[]) {
      if (state === 'completed') counts.completed += n;
      else if (state === 'failed' || state === 'cancelled') counts.failed += n;
      else if (state === 'active') counts.active += n;
      else counts.waiting += n;
    }
  }
  return counts;
}

interface EndedJob {
  id: string;
  state: string;
  output: CompletedOutput | FailedOutput | null;
}

async function jobOutputs(boss: PgBoss, schema: string, queue: string, ids: string[]): Promise<Map<string, EndedJob>> {
  const ended = new Map<string, EndedJob>();
  for (let start = 0; start < ids.length; start += STATE_SLICE) {
    const { rows } = await boss
      .getDb()
      .executeSql(
        `select id::text as id, state::text as state, output from ${schema}.job where name = $1 and id = any($2::uuid[])`,
        [queue, ids.slice(start, start + STATE_SLICE)],
      );
    for (const row of rows as EndedJob[]) ended.set(row.id, row);
  }
  return ended;
}

function aggregate(
  planReport: RunReport,
  planned: PlannedJob[],
  ended: Map<string, EndedJob>,
  names: { jobs: string; deadLetter: string },
  run: string,
): DistributedRunReport {
  const failures: SourceFailure[] = [...planReport.failures];
  const deadLetter: DeadLetter[] = [];
  const added: string[] = [];
  const changed: string[] = [];
  const writtenByLostAttempts: string[] = [];
  const batches = new Map<string, BatchReport>();
  const workers = new Set<string>();
  let completed = 0;
  for (const { job, data } of planned) {
    const state = ended.get(job);
    if (state?.state === 'completed') {
      completed++;
      const output = state.output as CompletedOutput | null;
      (data.kind === 'added' ? added : changed).push(data.id);
      if (output?.outcomes?.[data.id] === 'unchanged') writtenByLostAttempts.push(data.id);
      if (output?.batch) batches.set(output.batch.id, output.batch);
      if (output?.worker) workers.add(output.worker);
      continue;
    }
    const output = state?.output as FailedOutput | null | undefined;
    const code = output?.code ?? 'E_INTERNAL';
    const message = output?.message ?? `job ${job} ended as ${state?.state ?? 'missing'}`;
    failures.push({ id: data.id, uri: data.uri, code: code as SourceFailure['code'], message });
    deadLetter.push({ id: data.id, uri: data.uri, job, code, message });
  }
  const report: DistributedRunReport = {
    ...planReport,
    added,
    changed,
    failures,
    chunks: { written: 0, embedded: 0, reused: 0 },
    tokens: 0,
    durationsMs: { load: 0, chunk: 0, embed: 0, store: 0, delete: 0, total: 0 },
    run,
    queue: names.jobs,
    deadLetterQueue: names.deadLetter,
    jobs: { planned: planned.length, enqueued: 0, resumed: 0, completed, failed: planned.length - completed },
    deadLetter,
    writtenByLostAttempts,
    workers: [...workers].sort(),
  };
  for (const batch of batches.values()) {
    report.chunks.written += batch.chunks.written;
    report.chunks.embedded += batch.chunks.embedded;
    report.chunks.reused += batch.chunks.reused;
    report.tokens += batch.tokens;
    for (const key of ['load', 'chunk', 'embed', 'store'] as const) report.durationsMs[key] += batch.durationsMs[key];
  }
  return report;
}
