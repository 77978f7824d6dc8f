import type { Candidate } from '@winnow/core';
import { isWinnowError } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import {
  chunkHitsFromCandidates,
  documentRunFromChunkHits,
  evaluateRun,
  parseMeasure,
  type Qrels,
  type Run,
  rankDocuments,
} from '../src/index.js';

const run = (entries: Record<string, Record<string, number>>): Run =>
  new Map(Object.entries(entries).map(([id, scores]) => [id, new Map(Object.entries(scores))]));
const qrels = (entries: Record<string, Record<string, number>>): Qrels => run(entries);

function expectCode(action: () => unknown, code: string, text?: string): void {
  try {
    action();
  } catch (error) {
    expect(isWinnowError(error) && error.code).toBe(code);
    if (text !== undefined) expect((error as Error).message).toContain(text);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe('hand-computed values', () => {
  // Ranking d1 d2 d3 d4 d5; relevant d2 (grade 2) and d4 (grade 1); d9 relevant but not retrieved.
  const system = run({ q: { d1: 0.9, d2: 0.8, d3: 0.7, d4: 0.6, d5: 0.5 } });
  const judged = qrels({ q: { d2: 2, d4: 1, d9: 1, d5: 0 } });

  it('computes every family as trec_eval defines it', () => {
    const { perQuery } = evaluateRun(system, judged, [
      'ndcg_cut_3',
      'ndcg',
      'recip_rank',
      'mrr@1',
      'map',
      'map_cut_2',
      'P_5',
      'P_10',
      'recall_5',
      'Rprec',
      'success_1',
      'success_3',
    ]);
    const log2 = Math.log2;
    const ideal3 = 2 / log2(2) + 1 / log2(3) + 1 / log2(4);
    expect(perQuery.q?.ndcg_cut_3).toBeCloseTo(2 / log2(3) / ideal3, 14);
    expect(perQuery.q?.ndcg).toBeCloseTo((2 / log2(3) + 1 / log2(5)) / ideal3, 14);
    expect(perQuery.q?.recip_rank).toBe(0.5);
    expect(perQuery.q?.['mrr@1']).toBe(0);
    // AP divides by R = 3, including the relevant document never retrieved.
    expect(perQuery.q?.map).toBeCloseTo((1 / 2 + 2 / 4) / 3, 14);
    expect(perQuery.q?.map_cut_2).toBeCloseTo(1 / 2 / 3, 14);
    expect(perQuery.q?.P_5).toBe(2 / 5);
    // The divisor stays 10 although only 5 documents were retrieved.
    expect(perQuery.q?.P_10).toBe(2 / 10);
    expect(perQuery.q?.recall_5).toBe(2 / 3);
    expect(perQuery.q?.Rprec).toBe(1 / 3);
    expect(perQuery.q?.success_1).toBe(0);
    expect(perQuery.q?.success_3).toBe(1);
  });

  it('keys results by the names as given and keeps their order, dropping exact repeats', () => {
    const result = evaluateRun(system, judged, ['hit@3', 'success_3', 'hit@3']);
    expect(result.measures).toEqual(['hit@3', 'success_3']);
    expect(result.perQuery.q).toEqual({ 'hit@3': 1, success_3: 1 });
  });
});

describe('query coverage', () => {
  it('scores a query without relevant documents 0 everywhere and counts it in the mean', () => {
    const result = evaluateRun(run({ a: { d1: 1 }, b: { d1: 1 } }), qrels({ a: { d1: 1 }, b: { d1: 0 } }), [
      'P_5',
      'ndcg',
      'recip_rank',
    ]);
    expect(result.perQuery.b).toEqual({ P_5: 0, ndcg: 0, recip_rank: 0 });
    expect(result.mean.recip_rank).toBe(0.5);
    expect(result.queries.withoutRelevant).toEqual(['b']);
  });

  it('evaluates a run query with no documents as all zeros', () => {
    const result = evaluateRun(run({ a: { d1: 1 }, b: {} }), qrels({ a: { d1: 1 }, b: { d1: 1 } }), ['ndcg@10']);
    expect(result.perQuery.b).toEqual({ 'ndcg@10': 0 });
    expect(result.queries.evaluated).toBe(2);
    expect(result.mean['ndcg@10']).toBe(0.5);
  });

  it('gives means of 0, not NaN, when nothing is evaluated', () => {
    const result = evaluateRun(new Map(), qrels({ a: { d1: 1 } }), ['ndcg@10']);
    expect(result.mean['ndcg@10']).toBe(0);
    expect(result.meanComplete['ndcg@10']).toBe(0);
    expect(result.queries).toMatchObject({ inQrels: 1, inRun: 0, evaluated: 0, qrelsOnly: ['a'] });
    expect(evaluateRun(new Map(), new Map(), ['map']).meanComplete.map).toBe(0);
  });

  it('keeps a query id like __proto__ as an ordinary key', () => {
    const only = new Map([['__proto__', new Map([['d', 1]])]]);
    const result = evaluateRun(only, only, ['P_5']);
    expect(Object.keys(result.perQuery)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(result.perQuery, '__proto__')?.value).toEqual({ P_5: 0.2 });
  });
});

describe('ranking', () => {
  it('breaks ties by docid descending as strings, compares scores in single precision and ties -0 with 0', () => {
    expect(
      rankDocuments(
        new Map([
          ['3', 1],
          ['27', 1],
          ['37', 1],
          ['10', 2],
        ]),
      ),
    ).toEqual(['10', '37', '3', '27']);
    expect(
      rankDocuments(
        new Map([
          ['37', 3.00000001],
          ['82', 3],
        ]),
      ),
    ).toEqual(['82', '37']);
    expect(
      rankDocuments(
        new Map([
          ['a', -0],
          ['b', 0],
          ['c', Number.NEGATIVE_INFINITY],
        ]),
      ),
    ).toEqual(['b', 'a', 'c']);
  });

  it('refuses NaN scores, naming the query', () => {
    expectCode(() => rankDocuments(new Map([['d', Number.NaN]]), 'q7'), 'E_DATASET_INVALID', 'run["q7"]');
  });
});

describe('measure names', () => {
  it('parses trec_eval and friendly spellings', () => {
    expect(parseMeasure('ndcg_cut_10')).toEqual({ name: 'ndcg_cut_10', kind: 'ndcg_cut', k: 10 });
    expect(parseMeasure('map_cut.100')).toEqual({ name: 'map_cut.100', kind: 'map_cut', k: 100 });
    expect(parseMeasure('MRR@10')).toEqual({ name: 'MRR@10', kind: 'mrr_cut', k: 10 });
    expect(parseMeasure('RPrec')).toEqual({ name: 'RPrec', kind: 'Rprec' });
  });

  it('refuses unknown names, zero cutoffs and an empty list, naming the entry', () => {
    expectCode(() => evaluateRun(new Map(), new Map(), ['ndcg@10', 'bleu']), 'E_CONFIG_INVALID', 'field measures[1]');
    expectCode(() => evaluateRun(new Map(), new Map(), ['P_0']), 'E_CONFIG_INVALID', 'cutoff of at least 1');
    expectCode(() => evaluateRun(new Map(), new Map(), []), 'E_CONFIG_INVALID', 'no measure');
    // trec_eval names are case-sensitive; `p_5` is not `P_5`.
    expectCode(() => parseMeasure('p_5'), 'E_CONFIG_INVALID');
  });
});

describe('chunk hits to a document run', () => {
  it('scores each document by its best chunk', () => {
    const documentRun = documentRunFromChunkHits(
      new Map([
        [
          'q1',
          [
            { documentId: 'a', score: 0.2 },
            { documentId: 'b', score: 0.9 },
            { documentId: 'a', score: 0.7 },
            { documentId: 'b', score: 0.1 },
          ],
        ],
        ['q2', []],
      ]),
    );
    expect(documentRun).toEqual(
      new Map([
        [
          'q1',
          new Map([
            ['a', 0.7],
            ['b', 0.9],
          ]),
        ],
        ['q2', new Map()],
      ]),
    );
    expectCode(
      () => documentRunFromChunkHits(new Map([['q', [{ documentId: 'a', score: Number.NaN }]]])),
      'E_DATASET_INVALID',
    );
  });

  it('takes candidates in final order, or by a stage score', () => {
    const candidate = (chunkId: string, documentId: string, rerank?: number): Candidate => ({
      chunk: {
        id: chunkId,
        documentId,
        ordinal: 0,
        text: chunkId,
        headingPath: [],
        tokenCount: 1,
        provenance: { charStart: 0, charEnd: 1 },
        metadata: {},
        hash: chunkId,
      },
      scores: rerank === undefined ? {} : { rerank },
      ranks: {},
    });
    const candidates = [
      candidate('c1', 'B', 3),
      candidate('c2', 'A', 5),
      candidate('c3', 'B', 9),
      candidate('c4', 'C', 1),
    ];
    const byOrder = documentRunFromChunkHits(new Map([['q', chunkHitsFromCandidates(candidates)]]));
    expect(rankDocuments(byOrder.get('q') ?? new Map())).toEqual(['B', 'A', 'C']);
    const byRerank = documentRunFromChunkHits(new Map([['q', chunkHitsFromCandidates(candidates, 'rerank')]]));
    expect(byRerank.get('q')).toEqual(
      new Map([
        ['B', 9],
        ['A', 5],
        ['C', 1],
      ]),
    );
    expectCode(
      () => chunkHitsFromCandidates([candidate('c9', 'Z')], 'dense'),
      'E_DATASET_INVALID',
      'candidates[0].scores.dense',
    );
  });
});
