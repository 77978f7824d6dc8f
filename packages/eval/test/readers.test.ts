import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isWinnowError, type WinnowError } from '@winnow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadBeirDataset,
  readBeirCorpus,
  readBeirQueries,
  readQrels,
  readTrecRun,
  writeQrels,
  writeTrecRun,
} from '../src/index.js';
import { DATASETS, GOLDEN } from './golden.js';

let scratch = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'winnow-eval-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function scratchFile(name: string, content: string | Uint8Array): Promise<string> {
  const file = join(scratch, name);
  await writeFile(file, content);
  return file;
}

async function rejection(promise: Promise<unknown>): Promise<WinnowError> {
  try {
    await promise;
  } catch (error) {
    if (isWinnowError(error)) return error;
    throw error;
  }
  throw new Error('expected a WinnowError');
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('BEIR datasets', () => {
  it('loads ADI: 82 documents, 35 judged queries, 170 judgments', async () => {
    const adi = await loadBeirDataset(join(DATASETS, 'adi'));
    expect(adi.split).toBe('test');
    expect(adi.queries.size).toBe(35);
    expect(adi.qrels.size).toBe(35);
    let judgments = 0;
    for (const rows of adi.qrels.values()) judgments += rows.size;
    expect(judgments).toBe(170);
    const documents = await collect(adi.corpus());
    expect(documents).toHaveLength(82);
    expect(documents[0]?.id).toBe('1');
    expect(documents[0]?.title).toMatch(/^the ibm dsd technical information center/);
    expect(typeof documents[0]?.text).toBe('string');
    expect(adi.queries.get('3')?.text).toBe('What is information science? Give definitions where possible.');
  });

  it('loads SciFact test: 300 judged queries and streams the 5,183-document gzip corpus', async () => {
    const scifact = await loadBeirDataset(join(DATASETS, 'scifact'), { split: 'test' });
    expect(scifact.corpusFile.endsWith('corpus.jsonl.gz')).toBe(true);
    expect(scifact.queries.size).toBe(300);
    expect([...scifact.queries.keys()].every((id) => scifact.qrels.has(id))).toBe(true);
    let judgments = 0;
    for (const rows of scifact.qrels.values()) judgments += rows.size;
    expect(judgments).toBe(339);
    // Ids stay strings, never numbers.
    expect(scifact.qrels.get('1')?.get('31715818')).toBe(1);

    let count = 0;
    const ids = new Set<string>();
    let longest = 0;
    for await (const document of scifact.corpus()) {
      count++;
      ids.add(document.id);
      longest = Math.max(longest, document.text.length);
      expect(typeof document.id).toBe('string');
    }
    expect(count).toBe(5183);
    expect(ids.size).toBe(5183);
    expect(longest).toBeGreaterThan(1000);
    // Every judged document is in the corpus.
    for (const rows of scifact.qrels.values()) for (const id of rows.keys()) expect(ids.has(id)).toBe(true);

    const train = await loadBeirDataset(join(DATASETS, 'scifact'), { split: 'train' });
    expect(train.queries.size).toBe(809);
    expect((await readBeirQueries(join(DATASETS, 'scifact/queries.jsonl'))).size).toBe(1109);
  });

  it('stops reading a gzip corpus early without error and honours an abort signal', async () => {
    const file = join(DATASETS, 'scifact/corpus.jsonl.gz');
    let seen = 0;
    for await (const _ of readBeirCorpus(file)) if (++seen === 10) break;
    expect(seen).toBe(10);

    const controller = new AbortController();
    const reading = (async () => {
      let read = 0;
      for await (const _ of readBeirCorpus(file, { signal: controller.signal })) {
        if (++read === 100) controller.abort();
      }
      return read;
    })();
    const error = await rejection(reading);
    expect(error.code).toBe('E_ABORTED');
  });

  it('accepts numeric _id values as strings and a missing title', async () => {
    const file = await scratchFile(
      'corpus.jsonl',
      '{"_id": 7, "text": "seven"}\n\n{"_id": "x", "title": "T", "text": ""}\n',
    );
    expect(await collect(readBeirCorpus(file))).toEqual([
      { id: '7', title: '', text: 'seven', metadata: {} },
      { id: 'x', title: 'T', text: '', metadata: {} },
    ]);
  });

  it('names the file and line of a malformed corpus or queries record', async () => {
    const corpus = await scratchFile('bad-corpus.jsonl', '{"_id": "1", "text": "ok"}\n{"_id": "2", "text": \n');
    const badJson = await rejection(collect(readBeirCorpus(corpus)));
    expect(badJson.code).toBe('E_DATASET_INVALID');
    expect(badJson.file).toBe(corpus);
    expect(badJson.message).toContain(`${corpus}: line 2: is not valid JSON`);

    const noText = await scratchFile('no-text.jsonl', '{"_id": "1", "text": "ok"}\n{"_id": "2"}\n');
    expect((await rejection(collect(readBeirCorpus(noText)))).message).toContain('line 2: text must be a string');

    const noId = await scratchFile('no-id.jsonl', '{"text": "no id"}\n');
    expect((await rejection(collect(readBeirCorpus(noId)))).message).toContain('line 1: _id must be a string');

    const repeated = await scratchFile('queries.jsonl', '{"_id": "q", "text": "a"}\n{"_id": "q", "text": "b"}\n');
    expect((await rejection(readBeirQueries(repeated))).message).toContain('line 2: query id "q" appears twice');
  });

  it('reports missing files, a bad gzip stream and invalid UTF-8 with their file', async () => {
    const missing = join(scratch, 'nope.jsonl');
    expect(await rejection(collect(readBeirCorpus(missing)))).toMatchObject({
      code: 'E_FILE_NOT_FOUND',
      file: missing,
    });

    const notGzip = await scratchFile('corpus.jsonl.gz', 'plain text, not gzip\n');
    expect(await rejection(collect(readBeirCorpus(notGzip)))).toMatchObject({
      code: 'E_DATASET_INVALID',
      file: notGzip,
    });

    const truncated = gzipSync(Buffer.from('{"_id": "1", "text": "a"}\n'.repeat(200))).subarray(0, 40);
    const cut = await scratchFile('cut.jsonl.gz', truncated);
    expect(await rejection(collect(readBeirCorpus(cut)))).toMatchObject({ code: 'E_DATASET_INVALID', file: cut });

    const latin1 = await scratchFile('latin1.jsonl', Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d, 0x0a]));
    expect(await rejection(collect(readBeirCorpus(latin1)))).toMatchObject({ code: 'E_ENCODING', file: latin1 });

    const noSplit = await rejection(loadBeirDataset(join(DATASETS, 'adi'), { split: 'dev' }));
    expect(noSplit).toMatchObject({ code: 'E_FILE_NOT_FOUND', field: 'split' });
  });
});

describe('qrels files', () => {
  it('reads the golden qrels with string ids, grade-0 rows and graded judgments', async () => {
    const graded = await readQrels(join(GOLDEN, 'qrels/adi-graded.tsv'));
    expect(graded.size).toBe(30);
    expect(graded.get('1')?.get('46')).toBe(2);
    expect(graded.get('1')?.get('17')).toBe(0);
    const norel = await readQrels(join(GOLDEN, 'qrels/adi-norel.tsv'));
    expect([...(norel.get('6')?.values() ?? [])].every((grade) => grade === 0)).toBe(true);
  });

  it('names the file and line of a malformed qrels row', async () => {
    const file = await scratchFile('bad.tsv', 'query-id\tcorpus-id\tscore\n1\t17\t1\n1\t46\tone\n');
    const error = await rejection(readQrels(file));
    expect(error.code).toBe('E_DATASET_INVALID');
    expect(error.file).toBe(file);
    expect(error.details).toEqual({ line: 3 });
    expect(error.message).toBe(`E_DATASET_INVALID: ${file}: line 3: grade "one" is not an integer`);

    const columns = await scratchFile('columns.tsv', 'query-id\tcorpus-id\tscore\n1\t17\n');
    expect((await rejection(readQrels(columns))).message).toContain('line 2: expected 3 tab-separated columns');

    const emptyId = await scratchFile('empty-id.tsv', '1\t\t1\n');
    expect((await rejection(readQrels(emptyId))).message).toContain('line 1: corpus-id is empty');

    const conflict = await scratchFile('conflict.tsv', 'query-id\tcorpus-id\tscore\n1\t17\t1\n1\t17\t1\n1\t17\t2\n');
    expect((await rejection(readQrels(conflict))).message).toContain(
      'line 4: query 1 judges document 17 again with another grade (1, now 2)',
    );
  });

  it('reads qrels without a header and with CRLF line ends', async () => {
    const file = await scratchFile('crlf.tsv', '\uFEFFq1\td1\t2\r\nq1\td2\t0\r\n\r\nq2\td1\t1\r\n');
    const qrels = await readQrels(file);
    expect([...qrels].map(([id, rows]) => [id, [...rows]])).toEqual([
      [
        'q1',
        [
          ['d1', 2],
          ['d2', 0],
        ],
      ],
      ['q2', [['d1', 1]]],
    ]);
  });

  it('round-trips through the BEIR and the TREC qrels formats', async () => {
    const qrels = await readQrels(join(GOLDEN, 'qrels/scifact-test.tsv'));
    for (const format of ['beir', 'trec'] as const) {
      const file = join(scratch, `round-trip.${format}`);
      await writeQrels(file, qrels, { format });
      expect(await readQrels(file, { format })).toEqual(qrels);
    }
    const beirText = await readFile(join(scratch, 'round-trip.beir'), 'utf8');
    expect(beirText.startsWith('query-id\tcorpus-id\tscore\n1\t31715818\t1\n')).toBe(true);
    const trecText = await readFile(join(scratch, 'round-trip.trec'), 'utf8');
    expect(trecText.startsWith('1 0 31715818 1\n')).toBe(true);
  });
});

describe('TREC run files', () => {
  it('reads the golden runs, ignoring the rank column and line order', async () => {
    const run = await readTrecRun(join(GOLDEN, 'runs/ties.trec'));
    expect([...run.keys()]).toEqual(['3', '7', '12', '13', '15']);
    expect(run.get('13')?.get('37')).toBe(3.00000001);
    expect(Object.is(run.get('15')?.get('46'), -0)).toBe(true);
    const scifact = await readTrecRun(join(GOLDEN, 'runs/scifact-bm25.trec'));
    expect(scifact.size).toBe(300);
  });

  it('round-trips write then read, in trec_eval order with exact scores', async () => {
    const original = await readTrecRun(join(GOLDEN, 'runs/ties.trec'));
    const file = join(scratch, 'ties.trec');
    await writeTrecRun(file, original, { tag: 'bm25-test' });
    const back = await readTrecRun(file);
    expect(back).toEqual(original);
    for (const [queryId, scores] of original) {
      for (const [documentId, score] of scores) expect(Object.is(back.get(queryId)?.get(documentId), score)).toBe(true);
    }
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual(['3 Q0 79 1 1 bm25-test', '3 Q0 70 2 1 bm25-test', '3 Q0 60 3 1 bm25-test']);
    expect(lines).toContain('13 Q0 82 1 3 bm25-test');
    expect(lines).toContain('13 Q0 37 2 3.00000001 bm25-test');

    const scifact = await readTrecRun(join(GOLDEN, 'runs/scifact-bm25.trec'));
    const scifactFile = join(scratch, 'scifact.trec');
    await writeTrecRun(scifactFile, scifact);
    expect(await readTrecRun(scifactFile)).toEqual(scifact);
    // The golden BM25 run is written in trec_eval order, so the rewrite reproduces its lines but the tag.
    const golden = await readFile(join(GOLDEN, 'runs/scifact-bm25.trec'), 'utf8');
    const rewritten = await readFile(scifactFile, 'utf8');
    const withoutTag = (text: string) => text.split('\n').map((line) => line.split(' ').slice(0, 4).join(' '));
    expect(withoutTag(rewritten)).toEqual(withoutTag(golden));
  });

  it('writes infinities, a depth cut and refuses ids with whitespace', async () => {
    const run = new Map([
      [
        'q',
        new Map([
          ['a', Number.POSITIVE_INFINITY],
          ['b', Number.NEGATIVE_INFINITY],
          ['c', 1e-7],
        ]),
      ],
    ]);
    const file = join(scratch, 'inf.trec');
    await writeTrecRun(file, run);
    expect(await readTrecRun(file)).toEqual(run);
    await writeTrecRun(file, run, { depth: 2 });
    expect((await readFile(file, 'utf8')).split('\n')).toEqual(['q Q0 a 1 inf winnow', 'q Q0 c 2 1e-7 winnow', '']);
    const spaced = new Map([['q', new Map([['a b', 1]])]]);
    expect(await rejection(writeTrecRun(file, spaced))).toMatchObject({ code: 'E_DATASET_INVALID' });
    const missingFolder = join(scratch, 'no/such/folder/run.trec');
    expect(await rejection(writeTrecRun(missingFolder, run))).toMatchObject({
      code: 'E_FILE_NOT_FOUND',
      file: missingFolder,
    });
  });

  it('names the file and line of a malformed or repeated run line', async () => {
    const cases: [string, string][] = [
      ['1 Q0 d1 1 0.5 tag\n1 Q0 d2 2 0.4\n', 'line 2: expected 6 columns'],
      ['1 Q0 d1 1 0.5 tag\n1 Q0 d2 x 0.4 tag\n', 'line 2: rank "x" is not an integer'],
      ['1 Q0 d1 1 high tag\n', 'line 1: score "high" is not a number'],
      ['1 Q0 d1 1 nan tag\n', 'line 1: score "nan" is not a number'],
      ['1 Q0 d1 1 0.5 t\n\n1 Q0 d1 2 0.4 t\n', 'line 3: query 1 lists document d1 a second time'],
    ];
    for (const [index, [content, message]] of cases.entries()) {
      const file = await scratchFile(`bad-${index}.trec`, content);
      const error = await rejection(readTrecRun(file));
      expect(error.code).toBe('E_DATASET_INVALID');
      expect(error.file).toBe(file);
      expect(error.message).toContain(`${file}: ${message}`);
    }
  });
});
