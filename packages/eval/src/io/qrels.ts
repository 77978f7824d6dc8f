import { type CallOptions, WinnowError } from '@winnow/core';
import type { Qrels } from '../types.js';
import { parseGrade, requireId } from './fields.js';
import { lineError, readLineBatches } from './lines.js';
import { writeText } from './write.js';

/**
 * `beir`: BEIR's `qrels/<split>.tsv`, three tab-separated columns `query-id corpus-id score` under a header
 * line. `trec`: NIST qrels, `qid iteration docid grade` separated by whitespace, no header.
 */
export type QrelsFormat = 'beir' | 'trec';

export interface ReadQrelsOptions extends CallOptions {
  /** Default `beir`. */
  format?: QrelsFormat;
}

/**
 * Reads a qrels file. Ids stay strings. A repeated (query, document) pair with the same grade is
 * accepted once; with a different grade it is an error. Blank lines are skipped. Malformed lines throw
 * E_DATASET_INVALID naming the file and line number.
 */
export async function readQrels(file: string, options: ReadQrelsOptions = {}): Promise<Qrels> {
  const format = options.format ?? 'beir';
  const qrels: Qrels = new Map();
  for await (const batch of readLineBatches(file, options)) {
    for (const { text, number } of batch) {
      if (text.trim() === '') continue;
      if (format === 'beir' && number === 1 && isBeirHeader(text)) continue;
      const [queryId, documentId, grade] =
        format === 'beir' ? parseBeirRow(text, file, number) : parseTrecRow(text, file, number);
      let judgments = qrels.get(queryId);
      if (judgments === undefined) {
        judgments = new Map();
        qrels.set(queryId, judgments);
      }
      const earlier = judgments.get(documentId);
      if (earlier !== undefined && earlier !== grade) {
        throw lineError(
          file,
          number,
          `query ${queryId} judges document ${documentId} again with another grade (${earlier}, now ${grade})`,
        );
      }
      judgments.set(documentId, grade);
    }
  }
  return qrels;
}

/** BEIR writes `query-id corpus-id score`; any first line whose third column is not a grade is a header. */
function isBeirHeader(text: string): boolean {
  const columns = text.split('\t');
  return columns.length === 3 && !/^[+-]?\d+$/.test(columns[2] as string);
}

function parseBeirRow(text: string, file: string, line: number): [string, string, number] {
  const columns = text.split('\t');
  if (columns.length !== 3) {
    throw lineError(
      file,
      line,
      `expected 3 tab-separated columns (query-id, corpus-id, score), found ${columns.length}`,
    );
  }
  const [queryId, documentId, grade] = columns as [string, string, string];
  return [
    requireId(queryId, 'query-id', file, line),
    requireId(documentId, 'corpus-id', file, line),
    // BEIR's own loader reads the grade with int(), which allows surrounding spaces.
    parseGrade(grade.trim(), file, line),
  ];
}

function parseTrecRow(text: string, file: string, line: number): [string, string, number] {
  const columns = text.trim().split(/\s+/);
  if (columns.length !== 4) {
    throw lineError(
      file,
      line,
      `expected 4 whitespace-separated columns (qid, iteration, docid, grade), found ${columns.length}`,
    );
  }
  const [queryId, , documentId, grade] = columns as [string, string, string, string];
  return [queryId, documentId, parseGrade(grade, file, line)];
}

/** Formats qrels in insertion order; the BEIR form starts with the `query-id corpus-id score` header. */
export function* formatQrels(qrels: Qrels, format: QrelsFormat = 'beir'): Generator<string> {
  if (format === 'beir') yield 'query-id\tcorpus-id\tscore\n';
  for (const [queryId, judgments] of qrels) {
    for (const [documentId, grade] of judgments) {
      assertWritable(queryId, documentId, grade, format);
      yield format === 'beir' ? `${queryId}\t${documentId}\t${grade}\n` : `${queryId} 0 ${documentId} ${grade}\n`;
    }
  }
}

function assertWritable(queryId: string, documentId: string, grade: number, format: QrelsFormat): void {
  const separator = format === 'beir' ? /[\t\r\n]/ : /\s/;
  for (const [what, id] of [
    ['query id', queryId],
    ['document id', documentId],
  ] as const) {
    if (id === '' || separator.test(id)) {
      throw new WinnowError('E_DATASET_INVALID', `${what} ${JSON.stringify(id)} cannot be written as ${format} qrels`, {
        field: `qrels[${JSON.stringify(queryId)}]`,
      });
    }
  }
  if (!Number.isSafeInteger(grade)) {
    throw new WinnowError(
      'E_DATASET_INVALID',
      `grade ${grade} of document ${JSON.stringify(documentId)} is not an integer`,
      {
        field: `qrels[${JSON.stringify(queryId)}]`,
      },
    );
  }
}

export interface WriteQrelsOptions extends CallOptions {
  /** Default `beir`. */
  format?: QrelsFormat;
}

/** Writes qrels to a file (streamed, so large qrels never form one string). */
export async function writeQrels(file: string, qrels: Qrels, options: WriteQrelsOptions = {}): Promise<void> {
  await writeText(file, formatQrels(qrels, options.format), options);
}
