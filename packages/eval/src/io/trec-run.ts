import { type CallOptions, WinnowError } from '@winnow/core';
import { type RankedEntry, rankEntries } from '../ranking.js';
import type { Run } from '../types.js';
import { parseScore } from './fields.js';
import { lineError, readLineBatches } from './lines.js';
import { writeText } from './write.js';

/**
 * Reads a TREC run file: `qid Q0 docid rank score tag`, whitespace-separated. As in trec_eval, the Q0,
 * rank and tag columns are not used (the ranking comes from the scores; see `rankDocuments`), but the rank
 * must be an integer so a shifted column is caught. Blank lines are skipped. A repeated (qid, docid) pair
 * and every malformed line throw E_DATASET_INVALID naming the file and line number.
 */
export async function readTrecRun(file: string, options: CallOptions = {}): Promise<Run> {
  const run: Run = new Map();
  for await (const batch of readLineBatches(file, options)) {
    for (const { text, number } of batch) {
      if (text.trim() === '') continue;
      const columns = text.trim().split(/\s+/);
      if (columns.length !== 6) {
        throw lineError(file, number, `expected 6 columns (qid Q0 docid rank score tag), found ${columns.length}`);
      }
      const [queryId, , documentId, rank, score] = columns as [string, string, string, string, string, string];
      if (!/^[+-]?\d+$/.test(rank)) throw lineError(file, number, `rank ${JSON.stringify(rank)} is not an integer`);
      let scores = run.get(queryId);
      if (scores === undefined) {
        scores = new Map();
        run.set(queryId, scores);
      }
      if (scores.has(documentId)) {
        throw lineError(file, number, `query ${queryId} lists document ${documentId} a second time`);
      }
      scores.set(documentId, parseScore(score, file, number));
    }
  }
  return run;
}

export interface WriteTrecRunOptions extends CallOptions {
  /** The last column, naming the system. Default `winnow`. */
  tag?: string;
  /** Keep only the top `depth` documents of each query. Default: all. */
  depth?: number;
}

/**
 * Formats a run as TREC lines, queries in insertion order, each query's documents in trec_eval order
 * with ranks from 1. Scores are written in the shortest form that reads back to the same double.
 */
export function* formatTrecRun(run: Run, options: Omit<WriteTrecRunOptions, 'signal'> = {}): Generator<string> {
  const tag = options.tag ?? 'winnow';
  assertToken(tag, 'tag', () => 'options.tag');
  const depth = options.depth ?? Number.POSITIVE_INFINITY;
  if (!(depth >= 1)) {
    throw new WinnowError('E_CONFIG_INVALID', `depth must be at least 1, got ${depth}`, { field: 'options.depth' });
  }
  for (const [queryId, scores] of run) {
    assertToken(queryId, 'query id', () => `run[${JSON.stringify(queryId)}]`);
    const ranked = rankEntries(scores, queryId);
    const end = Math.min(depth, ranked.length);
    // One string per query: yielding per line makes streaming the bottleneck.
    const lines: string[] = [];
    for (let i = 0; i < end; i++) {
      const { id: documentId, score } = ranked[i] as RankedEntry;
      assertToken(documentId, 'document id', () => `run[${JSON.stringify(queryId)}]`);
      lines.push(`${queryId} Q0 ${documentId} ${i + 1} ${formatScore(score)} ${tag}\n`);
    }
    yield lines.join('');
  }
}

/** Writes a run as a TREC run file (streamed). */
export async function writeTrecRun(file: string, run: Run, options: WriteTrecRunOptions = {}): Promise<void> {
  await writeText(file, formatTrecRun(run, options), options);
}

function formatScore(score: number): string {
  if (score === Number.POSITIVE_INFINITY) return 'inf';
  if (score === Number.NEGATIVE_INFINITY) return '-inf';
  // String() gives the shortest round-tripping form; keep the sign of -0 so it reads back the same.
  return Object.is(score, -0) ? '-0' : String(score);
}

/** `field` is a function so the common, valid case builds no string. */
function assertToken(value: string, what: string, field: () => string): void {
  if (value === '' || /\s/.test(value)) {
    throw new WinnowError(
      'E_DATASET_INVALID',
      `${what} ${JSON.stringify(value)} is empty or has whitespace, which a TREC file cannot hold`,
      { field: field() },
    );
  }
}
