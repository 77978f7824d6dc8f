import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateRun, rankDocuments, readQrels, readTrecRun } from '../src/index.js';
import { GOLDEN, goldenCases, goldenExpected } from './golden.js';

const TOLERANCE = 1e-6;

/** Every value within 1e-6 absolute, and the same keys on both sides. */
function expectClose(actual: Record<string, number>, expected: Record<string, number>, where: string): void {
  expect(Object.keys(actual).sort(), where).toEqual(Object.keys(expected).sort());
  for (const [measure, value] of Object.entries(expected)) {
    const got = actual[measure] as number;
    if (!(Math.abs(got - value) <= TOLERANCE)) {
      expect.fail(`${where} ${measure}: got ${got}, pytrec_eval gives ${value}`);
    }
  }
}

describe('evaluateRun matches pytrec_eval on every golden case', () => {
  const cases = goldenCases();

  it('has the eight documented cases', () => {
    expect(cases.map((testCase) => testCase.case)).toEqual([
      'scifact-bm25',
      'adi-bm25',
      'graded',
      'ties',
      'missing-queries',
      'unjudged',
      'single',
      'no-relevant',
    ]);
  });

  for (const testCase of cases) {
    it(`${testCase.case}: per query, mean, mean_complete and query counts`, async () => {
      const expected = goldenExpected(testCase);
      expect(expected.measures).toHaveLength(20);
      const run = await readTrecRun(join(GOLDEN, testCase.run));
      const qrels = await readQrels(join(GOLDEN, testCase.qrels));
      const result = evaluateRun(run, qrels, expected.measures);

      expect(result.measures).toEqual(expected.measures);
      expect(result.queries).toEqual({
        inQrels: expected.queries.in_qrels,
        inRun: expected.queries.in_run,
        evaluated: expected.queries.evaluated,
        qrelsOnly: expected.queries.qrels_only,
        runOnly: expected.queries.run_only,
        withoutRelevant: expected.queries.without_relevant,
      });
      expect(Object.keys(result.perQuery).sort()).toEqual(Object.keys(expected.per_query).sort());
      for (const [queryId, values] of Object.entries(expected.per_query)) {
        expectClose(result.perQuery[queryId] ?? {}, values, `${testCase.case} query ${queryId}`);
      }
      expectClose(result.mean, expected.mean, `${testCase.case} mean`);
      expectClose(result.meanComplete, expected.mean_complete, `${testCase.case} mean_complete`);
    });
  }

  it('ranks the ties case in trec_eval order (float32 scores, docid descending as strings)', async () => {
    const testCase = cases.find((c) => c.case === 'ties');
    if (!testCase) throw new Error('cases.json lacks the ties case');
    const expected = goldenExpected(testCase);
    const run = await readTrecRun(join(GOLDEN, testCase.run));
    const order = Object.fromEntries([...run].map(([queryId, scores]) => [queryId, rankDocuments(scores)]));
    expect(order).toEqual(expected.trec_order);
  });

  it('gives the headline SciFact BM25 means from the README', async () => {
    const run = await readTrecRun(join(GOLDEN, 'runs/scifact-bm25.trec'));
    const qrels = await readQrels(join(GOLDEN, 'qrels/scifact-test.tsv'));
    const { mean } = evaluateRun(run, qrels, ['ndcg@10', 'recall@100', 'mrr']);
    expect(mean['ndcg@10']).toBeCloseTo(0.6607597946192252, 12);
    expect(mean['recall@100']).toBeCloseTo(0.8858888888888888, 12);
    expect(mean.mrr).toBeCloseTo(0.6340754898281173, 12);
  });
});

describe('friendly measure names', () => {
  const friendly: Record<string, string> = {
    'ndcg@10': 'ndcg_cut_10',
    'NDCG@5': 'ndcg_cut_5',
    'recall@100': 'recall_100',
    'map@100': 'map_cut_100',
    'p@10': 'P_10',
    'precision@5': 'P_5',
    'hit@10': 'success_10',
    'success@1': 'success_1',
    rprec: 'Rprec',
    mrr: 'recip_rank',
    ndcg: 'ndcg',
    map: 'map',
    'ndcg_cut.10': 'ndcg_cut_10',
  };

  for (const testCase of goldenCases()) {
    it(`${testCase.case}: each friendly name equals its trec_eval measure, and mrr@10 cuts recip_rank at 10`, async () => {
      const expected = goldenExpected(testCase);
      const run = await readTrecRun(join(GOLDEN, testCase.run));
      const qrels = await readQrels(join(GOLDEN, testCase.qrels));
      const result = evaluateRun(run, qrels, [...Object.keys(friendly), 'mrr@10', 'mrr@1']);
      for (const [queryId, values] of Object.entries(expected.per_query)) {
        const got = result.perQuery[queryId] ?? {};
        for (const [name, trecName] of Object.entries(friendly)) {
          expect(
            Math.abs((got[name] as number) - (values[trecName] as number)),
            `${queryId} ${name}`,
          ).toBeLessThanOrEqual(TOLERANCE);
        }
        // The first relevant document is within the top 10 exactly when recip_rank >= 1/10.
        const reciprocal = values.recip_rank as number;
        expect(got['mrr@10']).toBeCloseTo(reciprocal >= 0.1 - 1e-12 ? reciprocal : 0, 12);
        expect(got['mrr@1']).toBeCloseTo(values.success_1 as number, 12);
      }
    });
  }
});
