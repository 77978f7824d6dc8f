import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertValidId, type CallOptions, type Metadata, throwIfAborted, WinnowError } from '@winnow/core';
import type { Qrels } from '../types.js';
import { lineError, readLines } from './lines.js';
import { readQrels } from './qrels.js';

/** One corpus record of a BEIR dataset. */
export interface BeirDocument {
  id: string;
  /** '' when the record has none. */
  title: string;
  text: string;
  metadata: Metadata;
}

export interface BeirQuery {
  id: string;
  text: string;
  metadata: Metadata;
}

/**
 * Streams `corpus.jsonl` or `corpus.jsonl.gz` one record at a time (gunzipped on the fly), so a corpus of
 * millions of documents is never held in memory. `_id` may be a JSON string or number; it becomes a string.
 */
export async function* readBeirCorpus(file: string, options: CallOptions = {}): AsyncGenerator<BeirDocument> {
  for await (const { text, number } of readLines(file, options)) {
    if (text.trim() === '') continue;
    const record = parseRecord(text, file, number);
    yield {
      id: recordId(record, file, number),
      title: optionalString(record, 'title', file, number),
      text: requiredString(record, 'text', file, number),
      metadata: recordMetadata(record, file, number),
    };
  }
}

/** Reads `queries.jsonl` into a map by query id, in file order. A repeated id is an error. */
export async function readBeirQueries(file: string, options: CallOptions = {}): Promise<Map<string, BeirQuery>> {
  const queries = new Map<string, BeirQuery>();
  for await (const { text, number } of readLines(file, options)) {
    if (text.trim() === '') continue;
    const record = parseRecord(text, file, number);
    const id = recordId(record, file, number);
    if (queries.has(id)) throw lineError(file, number, `query id ${JSON.stringify(id)} appears twice`);
    queries.set(id, {
      id,
      text: requiredString(record, 'text', file, number),
      metadata: recordMetadata(record, file, number),
    });
  }
  return queries;
}

export interface BeirDataset {
  directory: string;
  split: string;
  corpusFile: string;
  queriesFile: string;
  qrelsFile: string;
  /** The queries judged in this split, in queries.jsonl order (as BEIR's loader keeps them). */
  queries: Map<string, BeirQuery>;
  qrels: Qrels;
  /** Streams the corpus afresh on each call. */
  corpus(options?: CallOptions): AsyncGenerator<BeirDocument>;
}

export interface LoadBeirOptions extends CallOptions {
  /** The qrels split, `qrels/<split>.tsv`. Default `test`. */
  split?: string;
}

/**
 * Opens a BEIR dataset folder: reads its queries and the split's qrels now, and streams the corpus on
 * demand. Every qrels query must have a query text.
 */
export async function loadBeirDataset(directory: string, options: LoadBeirOptions = {}): Promise<BeirDataset> {
  const split = options.split ?? 'test';
  const corpusFile = findCorpus(directory);
  const queriesFile = join(directory, 'queries.jsonl');
  const qrelsFile = join(directory, 'qrels', `${split}.tsv`);
  if (!existsSync(qrelsFile)) {
    const splits = listBeirSplits(directory);
    throw new WinnowError(
      'E_FILE_NOT_FOUND',
      `has no qrels for split ${JSON.stringify(split)} (splits there: ${splits.length > 0 ? splits.join(', ') : 'none'})`,
      { file: qrelsFile, field: 'split' },
    );
  }
  const qrels = await readQrels(qrelsFile, { format: 'beir', ...signalOf(options) });
  throwIfAborted(options.signal, `loading ${directory}`);
  const allQueries = await readBeirQueries(queriesFile, signalOf(options));
  const queries = new Map<string, BeirQuery>();
  for (const [id, query] of allQueries) if (qrels.has(id)) queries.set(id, query);
  for (const id of qrels.keys()) {
    if (!allQueries.has(id)) {
      throw new WinnowError('E_DATASET_INVALID', `judges query ${JSON.stringify(id)}, which ${queriesFile} lacks`, {
        file: qrelsFile,
      });
    }
  }
  return {
    directory,
    split,
    corpusFile,
    queriesFile,
    qrelsFile,
    queries,
    qrels,
    corpus: (callOptions?: CallOptions) => readBeirCorpus(corpusFile, callOptions),
  };
}

/** The judged splits of a BEIR folder: the names of its `qrels/<split>.tsv` files, sorted. */
export function listBeirSplits(directory: string): string[] {
  const folder = join(directory, 'qrels');
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((f) => f.endsWith('.tsv'))
    .map((f) => f.slice(0, -'.tsv'.length))
    .sort();
}

function signalOf(options: CallOptions): CallOptions {
  return options.signal ? { signal: options.signal } : {};
}

function findCorpus(directory: string): string {
  for (const name of ['corpus.jsonl', 'corpus.jsonl.gz']) {
    const file = join(directory, name);
    if (existsSync(file)) return file;
  }
  throw new WinnowError('E_FILE_NOT_FOUND', 'has no corpus.jsonl or corpus.jsonl.gz', { file: directory });
}

type JsonRecord = Record<string, unknown>;

function parseRecord(text: string, file: string, line: number): JsonRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw lineError(file, line, `is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw lineError(file, line, 'is not a JSON object');
  }
  return value as JsonRecord;
}

function recordId(record: JsonRecord, file: string, line: number): string {
  const id = record._id;
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw lineError(file, line, `_id must be a string, got ${describe(id)}`);
  }
  try {
    return assertValidId(id, '_id');
  } catch {
    throw lineError(file, line, `_id ${JSON.stringify(String(id))} is empty or has control characters`);
  }
}

function requiredString(record: JsonRecord, key: string, file: string, line: number): string {
  const value = record[key];
  if (typeof value !== 'string') throw lineError(file, line, `${key} must be a string, got ${describe(value)}`);
  return value;
}

function optionalString(record: JsonRecord, key: string, file: string, line: number): string {
  return record[key] === undefined || record[key] === null ? '' : requiredString(record, key, file, line);
}

function recordMetadata(record: JsonRecord, file: string, line: number): Metadata {
  const value = record.metadata;
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw lineError(file, line, `metadata must be a JSON object, got ${describe(value)}`);
  }
  // Parsed from JSON, so every nested value is already JSON-compatible.
  return value as Metadata;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}
