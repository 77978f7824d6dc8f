import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { openPipeline } from '@winnow/assemble';
import { type PipelineConfig, WinnowError } from '@winnow/core';
import {
  fileSource,
  folderSource,
  type SkipDetail,
  type SkippedEntry,
  type SkipReason,
  skippedEntry,
} from '@winnow/ingest';
import type { RunReport } from '@winnow/pipeline';
import { EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { loadSettings } from '../settings.js';

export interface IndexCommandOptions {
  config?: string;
  json?: boolean;
  wait?: boolean;
}

/**
 * `winnow index <path>` adds and updates; `winnow reindex [path]` also deletes what the tree no longer has.
 * Both are incremental (unchanged files are skipped by content hash) and take the reindex lock.
 */
export async function runIndex(
  path: string | undefined,
  options: IndexCommandOptions,
  out: Output,
  mode: 'index' | 'reindex',
): Promise<number> {
  const { config, baseDir } = await loadSettings(options.config);
  const root = resolve(path ?? resolve(baseDir, config.ingest.root));
  let isFile: boolean;
  try {
    isFile = statSync(root).isFile();
  } catch (error) {
    throw new WinnowError('E_FILE_NOT_FOUND', 'does not exist', { file: root, cause: error });
  }
  const started = Date.now();
  let bar: ReturnType<Output['progress']> | undefined;
  const pipeline = await openPipeline(config, {
    baseDir,
    waitForLock: options.wait ?? false,
    onProgress: (p) =>
      bar?.update(
        p.documents.seen,
        undefined,
        `docs | ${p.chunks} chunks | ${Math.round(p.tokensPerSecond)} tokens/s | ${p.documents.failed} failed`,
      ),
  });
  try {
    bar = out.progress(mode);
    // Links and special files the walk passes over go into the report with why (excluded folders are intended).
    const skipped: SkippedEntry[] = [];
    const onSkip = (at: string, reason: SkipReason, detail?: SkipDetail) => {
      if (reason !== 'excluded') skipped.push(skippedEntry(at, reason, detail));
    };
    // A file alone keeps the id its URI already has in the collection (e.g. from indexing its folder): one document.
    const source = isFile
      ? fileSource(root, { ...config.ingest, known: await pipeline.store.listDocuments() })
      : folderSource(root, { ...config.ingest, onSkip });
    let report: RunReport;
    try {
      report = await pipeline.indexer.run(source, {
        // Only `reindex` of a folder removes what the tree no longer has; the library never deletes unless asked.
        deleteMissing: mode === 'reindex' && !isFile,
        waitForLock: options.wait ?? false,
      });
    } finally {
      bar?.stop();
    }
    const counts = await pipeline.store.counts();
    const summary = runSummary(mode, root, report, skipped, config, counts, started);
    if (out.json) {
      out.result(JSON.stringify(summary, null, 2));
    } else {
      out.result(`${mode}: ${countsLine(summary)}${storeLine(summary)}`);
      // The message names the file already: printing the URI too showed every failing file twice.
      for (const f of report.failures) out.result(`  failed: ${f.message}`);
      if (summary.kept > 0) {
        out.result(
          `  kept: ${summary.kept} documents under ${report.unknown.folders.length} unreadable folders (unknown, not deleted)`,
        );
      }
      for (const entry of skipped) out.result(`  skipped: ${entry.path}: ${entry.why}`);
    }
    return report.failures.length > 0 ? EXIT.partial : EXIT.ok;
  } finally {
    await pipeline.close();
  }
}

/** What `index`, `reindex` and `reindex --distributed` print about a run (`--json` prints it whole). */
export function runSummary(
  command: string,
  root: string,
  report: RunReport,
  skipped: SkippedEntry[],
  config: PipelineConfig,
  counts: { documents: number; chunks: number },
  started: number,
) {
  return {
    command,
    root,
    added: report.added.length,
    changed: report.changed.length,
    deleted: report.deleted.length,
    unchanged: report.unchanged,
    failed: report.failures.length,
    // Documents under folders the walk could not read: neither deleted nor re-indexed (unknown, not gone).
    kept: report.unknown.kept.length,
    skipped,
    report,
    store: { driver: config.store.driver, collection: config.store.collection, ...counts },
    durationMs: Date.now() - started,
  };
}

type RunSummary = ReturnType<typeof runSummary>;

/** `n added, n changed, …` of a run summary. */
export function countsLine(summary: RunSummary): string {
  return `${summary.added} added, ${summary.changed} changed, ${summary.deleted} deleted, ${summary.unchanged} unchanged, ${summary.failed} failed`;
}

/** ` — store has …` of a run summary. */
export function storeLine(summary: RunSummary): string {
  const { documents, chunks } = summary.store;
  return ` — store has ${documents} documents, ${chunks} chunks (${(summary.durationMs / 1000).toFixed(1)} s)`;
}
