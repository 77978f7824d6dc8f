import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type OpenedPipeline, openPipeline } from '@winnow/assemble';
import { type PipelineConfig, WinnowError } from '@winnow/core';
import { openQueue, runPlanner, runWorker } from '@winnow/distributed';
import { folderSource, type SkipDetail, type SkippedEntry, type SkipReason, skippedEntry } from '@winnow/ingest';
import { PgVectorStore } from '@winnow/pgvector';
import { EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { loadSettings } from '../settings.js';
import { countsLine, runSummary, storeLine } from './index-command.js';

interface QueueCommandOptions {
  config?: string;
  json?: boolean;
  queueSchema?: string;
  maintenanceInterval?: number;
}

export interface DistributedReindexOptions extends QueueCommandOptions {
  wait?: boolean;
  retryLimit?: number;
  retryDelay?: number;
  jobExpire?: number;
}

export interface WorkerCommandOptions extends QueueCommandOptions {
  concurrency?: number;
  batchSize?: number;
  exitWhenIdle?: number;
}

/** The store must be on a PostgreSQL server: the queue and every worker share it. */
function serverStore(pipeline: OpenedPipeline, config: PipelineConfig): PgVectorStore {
  if (!(pipeline.store instanceof PgVectorStore) || pipeline.store.driver.kind !== 'postgres' || !config.store.url) {
    throw new WinnowError('E_CONFIG_INVALID', 'distributed indexing needs a PostgreSQL server, not PGlite', {
      setting: 'DATABASE_URL',
      hint: 'export DATABASE_URL (the planner, the workers and the queue share that server)',
    });
  }
  return pipeline.store;
}

function queueSettings(config: PipelineConfig, options: QueueCommandOptions) {
  return {
    connectionString: config.store.url as string,
    ...(options.queueSchema === undefined ? {} : { schema: options.queueSchema }),
    ...(options.maintenanceInterval === undefined ? {} : { maintenanceIntervalSeconds: options.maintenanceInterval }),
  };
}

/** `winnow reindex --distributed`: the planner (see @winnow/distributed's runPlanner). */
export async function runDistributedReindex(
  path: string | undefined,
  options: DistributedReindexOptions,
  out: Output,
): Promise<number> {
  const { config, baseDir } = await loadSettings(options.config);
  const root = resolve(path ?? resolve(baseDir, config.ingest.root));
  let isFolder: boolean;
  try {
    isFolder = statSync(root).isDirectory();
  } catch (error) {
    throw new WinnowError('E_FILE_NOT_FOUND', 'does not exist', { file: root, cause: error });
  }
  if (!isFolder) throw new WinnowError('E_CONFIG_INVALID', 'reindex --distributed takes a folder', { file: root });
  const started = Date.now();
  const pipeline = await openPipeline(config, { baseDir, waitForLock: options.wait ?? false });
  try {
    const store = serverStore(pipeline, config);
    const boss = await openQueue(queueSettings(config, options));
    try {
      const skipped: SkippedEntry[] = [];
      const onSkip = (at: string, reason: SkipReason, detail?: SkipDetail) => {
        if (reason !== 'excluded') skipped.push(skippedEntry(at, reason, detail));
      };
      const bar = out.progress('reindex --distributed');
      let lastDetail = '';
      let report: Awaited<ReturnType<typeof runPlanner>>;
      try {
        report = await runPlanner(folderSource(root, { ...config.ingest, onSkip }), {
          boss,
          store,
          indexer: pipeline.indexer,
          waitForLock: options.wait ?? false,
          ...(options.queueSchema === undefined ? {} : { schema: options.queueSchema }),
          ...(options.retryLimit === undefined ? {} : { retryLimit: options.retryLimit }),
          ...(options.retryDelay === undefined ? {} : { retryDelaySeconds: options.retryDelay }),
          ...(options.jobExpire === undefined ? {} : { expireInSeconds: options.jobExpire }),
          onEnqueued: (planned) => out.info(`reindex --distributed: ${planned} documents enqueued`),
          onProgress: (p) => {
            const detail = `jobs | ${p.active} active | ${p.waiting} waiting | ${p.failed} failed`;
            // Job states are polled every second: a log gets a line when they change, not one per poll.
            if (detail === lastDetail && p.phase === 'wait') return;
            lastDetail = detail;
            bar.update(p.completed + p.failed, p.planned, detail);
          },
        });
      } finally {
        bar.stop();
      }
      const counts = await store.counts();
      const summary = { ...runSummary('reindex', root, report, skipped, config, counts, started), distributed: true };
      if (out.json) out.result(JSON.stringify(summary, null, 2));
      else {
        out.result(
          `reindex --distributed: ${countsLine(summary)}` +
            ` by ${report.workers.length} workers (${report.jobs.planned} jobs, ${report.jobs.resumed} resumed)${storeLine(summary)}`,
        );
        for (const f of report.failures) out.result(`  failed: ${f.message}`);
        if (report.deadLetter.length > 0) {
          out.result(`  dead-letter queue ${report.deadLetterQueue}: ${report.deadLetter.length} jobs`);
        }
        for (const entry of skipped) out.result(`  skipped: ${entry.path}: ${entry.why}`);
      }
      return report.failures.length > 0 ? EXIT.partial : EXIT.ok;
    } finally {
      await boss.stop({ graceful: false, timeout: 1000 });
    }
  } finally {
    await pipeline.close();
  }
}

/** `winnow worker`: indexes jobs until SIGTERM/SIGINT (finishing the batch in hand) or, if asked, until idle. */
export async function runWorkerCommand(options: WorkerCommandOptions, out: Output): Promise<number> {
  const { config, baseDir } = await loadSettings(options.config);
  const pipeline = await openPipeline(config, { baseDir });
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    out.info(`winnow worker: ${signal}: finishing the batch in hand, taking no new jobs`);
    stop.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const store = serverStore(pipeline, config);
    const boss = await openQueue(queueSettings(config, options));
    try {
      const summary = await runWorker({
        boss,
        store,
        indexer: pipeline.indexer,
        ingest: config.ingest,
        signal: stop.signal,
        ...(options.queueSchema === undefined ? {} : { schema: options.queueSchema }),
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        ...(options.exitWhenIdle === undefined ? {} : { exitWhenIdleMs: options.exitWhenIdle * 1000 }),
        onReady: () => out.info(`winnow worker: waiting for jobs on collection ${store.collection}`),
        onTake: (jobs) => out.info(`winnow worker: took ${jobs} jobs`),
        onBatch: (b) => {
          const d = b.durationsMs;
          const stages = d
            ? ` (load ${Math.round(d.load)}, chunk ${Math.round(d.chunk)}, embed ${Math.round(d.embed)}, store ${Math.round(d.store)} ms)`
            : '';
          out.info(
            `winnow worker: ${b.completed}/${b.jobs} jobs done in ${Math.round(b.ms)} ms${stages}${b.error ? `: ${b.error}` : ''}`,
          );
        },
      });
      if (out.json) out.result(JSON.stringify({ command: 'worker', ...summary }));
      else out.result(`worker ${summary.name}: ${summary.completed} jobs completed, ${summary.failed} failed`);
      return EXIT.ok;
    } finally {
      await boss.stop({ graceful: false, timeout: 1000 });
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await pipeline.close();
  }
}
