/**
 * The eval harness end to end on ADI (82 documents, 35 queries) with the real MiniLM embedder and the real
 * cross-encoder, on embedded PGlite: indexing once per index setting, the on-disk cache, fusion tuning on a
 * separate split, metrics, significance against the baseline, and the written outputs.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PipelineConfig, parseConfig } from '@winnow/core';
import { fuseRankedLists } from '@winnow/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EvalResults,
  indexCorpus,
  loadBeirDataset,
  readQrels,
  readTrecRun,
  runEvaluation,
  writeEvalOutputs,
} from '../src/index.js';

const ADI = join(process.env.WINNOW_MODELS ?? '', '..', 'datasets', 'adi');
let work: string;
let dataset: string;
let results: EvalResults;

// Stage 2 is on by default; only dense+rerank asks for it here.
const base = { chunk: { split: false }, recall: { k: 20 }, rerank: { provider: 'none' } } as const;
const configurations = [
  { name: 'lexical', config: parseConfig({ ...base, recall: { ...base.recall, mode: 'lexical' } }) },
  {
    name: 'dense',
    config: parseConfig({ ...base, recall: { ...base.recall, mode: 'dense' } }),
    references: [{ label: 'a published dense run', source: 'a paper', metrics: { 'ndcg@10': 0.5, 'recall@100': 0.9 } }],
  },
  {
    name: 'dense+rerank',
    config: parseConfig({
      ...base,
      recall: { ...base.recall, mode: 'dense' },
      rerank: { provider: 'transformers', batchSize: 20 },
    }),
  },
  { name: 'hybrid', config: parseConfig({ ...base, recall: { ...base.recall, mode: 'hybrid' } }) },
  {
    name: 'hybrid as written',
    config: parseConfig({ ...base, recall: { ...base.recall, mode: 'hybrid', lexicalWeight: 0.6 } }),
    tune: false,
  },
];
const NAMES = ['lexical', 'dense', 'dense+rerank', 'hybrid', 'hybrid as written'];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'winnow-harness-'));
  // ADI has one judged split; split its queries in two so tuning never sees the reported queries.
  dataset = join(work, 'adi');
  await mkdir(join(dataset, 'qrels'), { recursive: true });
  await copyFile(join(ADI, 'corpus.jsonl'), join(dataset, 'corpus.jsonl'));
  await copyFile(join(ADI, 'queries.jsonl'), join(dataset, 'queries.jsonl'));
  const lines = (await readFile(join(ADI, 'qrels', 'test.tsv'), 'utf8')).trim().split('\n');
  const [header, ...rows] = lines;
  const queryIds = [...new Set(rows.map((r) => r.split('\t')[0]))];
  const trainIds = new Set(queryIds.filter((_, i) => i % 2 === 0));
  await writeFile(
    join(dataset, 'qrels', 'train.tsv'),
    `${[header, ...rows.filter((r) => trainIds.has(r.split('\t')[0] ?? ''))].join('\n')}\n`,
  );
  await writeFile(
    join(dataset, 'qrels', 'test.tsv'),
    `${[header, ...rows.filter((r) => !trainIds.has(r.split('\t')[0] ?? ''))].join('\n')}\n`,
  );
  results = await runEvaluation({
    dataset,
    split: 'test',
    configurations,
    baseline: 'dense',
    tune: { split: 'train' },
    cacheDir: join(work, 'cache'),
  });
}, 600_000);

afterAll(async () => {
  // Temp folders are left to the OS; PGlite stores were closed by runEvaluation.
});

describe('runEvaluation on ADI', () => {
  it('reports every configuration with sane metrics', () => {
    expect(results.configurations.map((c) => c.name)).toEqual(NAMES);
    expect(results.queries).toBe(17);
    for (const c of results.configurations) {
      for (const m of ['ndcg@10', 'mrr@10', 'recall@10', 'map@100']) {
        expect(c.metrics[m]).toBeGreaterThan(0);
        expect(c.metrics[m]).toBeLessThanOrEqual(1);
      }
      expect(c.metrics['recall@10']).toBeLessThanOrEqual(c.metrics['recall@50'] ?? 0);
      expect(Object.keys(c.perQuery)).toHaveLength(17);
      expect(c.intervals['ndcg@10']?.lower).toBeLessThanOrEqual(c.metrics['ndcg@10'] ?? 0);
      expect(c.intervals['ndcg@10']?.upper).toBeGreaterThanOrEqual(c.metrics['ndcg@10'] ?? 0);
    }
  });

  it('indexes the corpus once for the configurations that share an index', () => {
    const [lexical, dense, reranked] = results.configurations;
    expect(lexical?.indexKey).toBe(dense?.indexKey);
    expect(reranked?.indexKey).toBe(dense?.indexKey);
    expect(dense?.index.documents).toBe(82);
  });

  it('tunes fusion on the train split and never does worse there than either stage alone', () => {
    const tuning = results.configurations[2]?.tuning;
    expect(results.configurations[2]?.chosenBy).toEqual({ how: 'split', split: 'train' });
    expect(tuning?.split).toBe('train');
    expect(tuning?.queries).toBe(18);
    const best = Math.max(...(tuning?.grid.map((g) => g.value) ?? []));
    const recallOnly = tuning?.grid.find((g) => g.weight === 0)?.value ?? 1;
    const rerankOnly = tuning?.grid.find((g) => g.method === 'rerank')?.value ?? 1;
    expect(best).toBeGreaterThanOrEqual(recallOnly);
    expect(best).toBeGreaterThanOrEqual(rerankOnly);
    const chosen = tuning?.grid.find((g) => g.method === tuning.chosen.method && g.weight === tuning.chosen.weight);
    expect(chosen?.value).toBe(best);
  });

  it('tunes the lexical weight of hybrid recall on the train split, and uses it for the reported run', () => {
    const hybrid = results.configurations[3];
    const tuning = hybrid?.recallTuning;
    expect(tuning).toMatchObject({ split: 'train', queries: 18, measure: 'ndcg@10', denseWeight: 1 });
    expect(tuning?.grid.map((g) => g.lexicalWeight)).toEqual([0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3]);
    const best = Math.max(...(tuning?.grid.map((g) => g.value) ?? []));
    expect(tuning?.grid.find((g) => g.lexicalWeight === tuning.lexicalWeight)?.value).toBe(best);
    expect(hybrid?.config.recall.lexicalWeight).toBe(tuning?.lexicalWeight);
    expect(hybrid?.tuning).toBeUndefined(); // no reranker: nothing else to tune
  });

  it('leaves a configuration marked tune: false exactly as written', () => {
    const fixed = results.configurations[4];
    expect(fixed?.chosenBy).toEqual({ how: 'as-written', reason: 'untuned' });
    // Lexical recall without a reranker has no weight to tune.
    expect(results.configurations[0]?.chosenBy).toEqual({ how: 'as-written', reason: 'nothing to tune' });
    expect(fixed?.recallTuning).toBeUndefined();
    expect(fixed?.config.recall.lexicalWeight).toBe(0.6);
  });

  it("fuses dense and lexical lists for tuning exactly as the store's hybrid search does", async () => {
    const config = configurations[3]?.config as PipelineConfig;
    const beir = await loadBeirDataset(dataset, { split: 'test' });
    const { store, embedder } = await indexCorpus(beir, 'adi', config, { cacheDir: join(work, 'cache') });
    try {
      const queries = [...beir.queries.values()].slice(0, 10);
      const vectors = (
        await embedder.embed(
          queries.map((q) => q.text),
          { inputType: 'query' },
        )
      ).vectors;
      let compared = 0;
      for (const [i, query] of queries.entries()) {
        const vector = Float32Array.from(vectors[i] ?? []);
        const request = { k: 20, vector, text: query.text, efSearch: 100 };
        const dense = await store.search({ ...request, mode: 'dense' });
        const lexical = await store.search({ ...request, mode: 'lexical' });
        for (const lexicalWeight of [0.5, 1, 2.5]) {
          const weights = { denseWeight: 1, lexicalWeight, rrfK: 60 };
          const hybrid = await store.search({ ...request, ...weights, mode: 'hybrid' });
          const fused = fuseRankedLists(
            [
              { candidates: dense, weight: 1 },
              { candidates: lexical, weight: lexicalWeight },
            ],
            { rrfK: 60, k: 20 },
          );
          expect(fused.map((c) => c.chunk.id)).toEqual(hybrid.map((c) => c.chunk.id));
          for (const [j, c] of fused.entries()) expect(c.scores.fused).toBeCloseTo(hybrid[j]?.scores.fused ?? -1, 12);
          compared += 1;
        }
      }
      expect(compared).toBe(30);
    } finally {
      await store.close();
      await embedder.close?.();
    }
  });

  it('compares with the baseline using paired tests', () => {
    const cmp = results.configurations[0]?.comparison?.['ndcg@10'];
    expect(cmp?.queries).toBe(17);
    expect(cmp?.randomisation.pValue).toBeGreaterThan(0);
    expect(cmp?.randomisation.pValue).toBeLessThanOrEqual(1);
    expect(results.configurations[1]?.comparison).toBeUndefined();
  });

  it('carries reference figures with ours minus theirs, only for the configuration they belong to', () => {
    const [lexical, dense] = results.configurations;
    expect(lexical?.references).toBeUndefined();
    const [reference] = dense?.references ?? [];
    expect(reference?.label).toBe('a published dense run');
    expect(reference?.difference['ndcg@10']).toBeCloseTo((dense?.metrics['ndcg@10'] ?? 0) - 0.5, 12);
    expect(reference?.difference['recall@100']).toBeCloseTo((dense?.metrics['recall@100'] ?? 0) - 0.9, 12);
  });

  it('re-running uses the on-disk index: nothing is embedded again', async () => {
    const again = await runEvaluation({
      dataset,
      configurations: [configurations[1] as (typeof configurations)[number]],
      cacheDir: join(work, 'cache'),
    });
    expect(again.configurations[0]?.index).toMatchObject({ documents: 82, embedded: 0, chunks: 0 });
    expect(again.configurations[0]?.metrics['ndcg@10']).toBeCloseTo(
      results.configurations[1]?.metrics['ndcg@10'] ?? -1,
      10,
    );
  });

  it('writes results.json, run files, per-query metrics and the HTML report', async () => {
    const out = join(work, 'out');
    await writeEvalOutputs(results, out);
    const json = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(json.configurations.map((c: { name: string }) => c.name)).toEqual(NAMES);
    expect(json.configurations[1]['ndcg@10']).toBe(results.configurations[1]?.metrics['ndcg@10']);
    expect((await readdir(join(out, 'runs'))).sort()).toEqual([
      'dense+rerank.trec',
      'dense.trec',
      'hybrid.trec',
      'hybrid_as_written.trec',
      'lexical.trec',
    ]);
    const run = await readTrecRun(join(out, 'runs', 'dense.trec'));
    expect(run.size).toBe(17);
    const qrels = await readQrels(join(dataset, 'qrels', 'test.tsv'));
    expect([...run.keys()].every((q) => qrels.has(q))).toBe(true);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg class="chart" data-chart="recall-curves"');
    expect(html).toContain('data-config="dense+rerank"');
    expect(json.configurations[1].references[0].metrics['ndcg@10']).toBe(0.5);
    const referenceRow = /<table id="references">.*?<tr data-config="dense">(.*?)<\/tr>/s.exec(html)?.[1] ?? '';
    expect(referenceRow).toContain('a published dense run');
    expect(referenceRow).toContain(`${results.configurations[1]?.metrics['ndcg@10']?.toFixed(4)} vs 0.5000`);
  });
});

describe('runEvaluation with a recall cache', () => {
  it('runs each distinct search once and reuses it in configurations with the same index and recall', async () => {
    const dense = configurations[1]?.config as PipelineConfig;
    const cached = await runEvaluation({
      dataset,
      split: 'test',
      configurations: [
        { name: 'dense', config: dense },
        { name: 'dense again', config: dense },
      ],
      cacheDir: join(work, 'cache'),
      recallCache: true,
    });
    const [first, second] = cached.configurations;
    // 17 reported queries: the first configuration searched for each, the second searched for none.
    expect(first?.recallSearches).toEqual({ computed: 17, cached: 0 });
    expect(second?.recallSearches).toEqual({ computed: 0, cached: 17 });
    expect(second?.metrics).toEqual(first?.metrics);
    expect(first?.metrics).toEqual(results.configurations[1]?.metrics);
  });
});
