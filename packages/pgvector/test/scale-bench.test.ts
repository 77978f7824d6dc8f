import { describe, expect, it } from 'vitest';
import { defaultScifact, formatScaleResult, runScaleBench, type ScaleOptions } from '../bench/scale.js';
import { openPgVectorStore } from '../src/index.js';

/**
 * Keeps `pnpm bench:scale` working: its quick mode (20k chunks) on the server, checking that every figure is
 * produced, not what it is (speed is the benchmark's business, on a quiet machine).
 */
describe('bench:scale quick mode', () => {
  it('builds 20k chunks and reports writes, build, sizes, latencies and recall; --keep, then --reuse', async () => {
    const lines: string[] = [];
    const options: ScaleOptions = {
      url: process.env.DATABASE_URL as string,
      chunks: 20_000,
      queries: 3,
      recallQueries: 3,
      efSearch: [40, 100],
      m: 16,
      efConstruction: 128,
      halfvec: false,
      maintenanceWorkMem: '256MB',
      scifact: defaultScifact(),
      keep: true,
      log: (line) => lines.push(line),
    };
    const result = await runScaleBench(options);
    const kept = lines.find((line) => line.startsWith('kept collection '))?.slice('kept collection '.length);
    expect(kept).toMatch(/^scale_/);
    const positive = expect.any(Number);
    expect(result.chunks).toBe(20_000);
    expect(result.documents).toBeGreaterThan(5_000);
    for (const figure of [
      result.write?.storeRowsPerSecond,
      result.write?.copyRowsPerSecond,
      result.indexBuildMs,
      result.sizes.tableBytes,
      result.sizes.hnswBytes,
      result.sizes.lexicalStatisticsBytes,
    ]) {
      expect(figure).toEqual(positive);
      expect(figure).toBeGreaterThan(0);
    }
    for (const mode of ['dense', 'lexical', 'hybrid'] as const) {
      const measured = result.queries[mode];
      expect(measured?.winnow.p95).toBeGreaterThan(0);
      expect(measured?.barePg.p95).toBeGreaterThan(0);
      // The figure the issue asks about; its value depends on the machine, the count does not.
      expect(measured?.winnowRoundTrips).toBe(1);
    }
    expect(result.queries.denseLangChainStyle?.p50).toBeGreaterThan(0);
    expect(result.recall.map((r) => r.efSearch)).toEqual([40, 100]);
    for (const { recallAt10 } of result.recall) expect(recallAt10).toBeGreaterThan(0);
    const table = formatScaleResult(result);
    expect(table).toContain('HNSW recall@10, ef_search 100');
    expect(table).not.toContain('NaN');

    // The kept collection measured again without building: queries and recall only, and it is still there after.
    const again = await runScaleBench({ ...options, keep: false, reuse: kept, modes: ['dense'], efSearch: [100] });
    expect(again).toMatchObject({ reused: kept, documents: result.documents });
    expect(again.write).toBeUndefined();
    expect(again.queries.dense?.winnow.p50).toBeGreaterThan(0);
    expect(again.recall.map((r) => r.efSearch)).toEqual([100]);
    expect(formatScaleResult(again)).toContain('queries only');
    const store = await openPgVectorStore({ url: options.url, collection: kept as string });
    try {
      expect((await store.counts()).chunks).toBe(20_000);
      await store.drop();
    } finally {
      await store.close();
    }
  }, 400_000);
});
