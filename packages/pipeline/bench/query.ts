/**
 * Retrieval latency per stage (embed, recall, rerank, pack) on ADI with the real models, on embedded PGlite and,
 * when DATABASE_URL is set, on the PostgreSQL server: the default two-stage configuration (hybrid recall 50, the MS
 * MARCO cross-encoder on the best `rerank.depth` at `rerank.maxTokens`, fused), the same recall with every one of the
 * 50 candidates reranked at the model's 512 tokens, and baselines in the same run: dense and lexical recall alone.
 * `ms/pair` is the rerank time over the pairs scored. SciFact's depth × maxTokens frontier (longer passages) is
 * eval/rerank-frontier.ts.
 * Run: pnpm bench:query   (BENCH_QUERIES=n to change the number of queries; default all 35)
 */
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createChunkerFromConfig,
  createContextBuilderFromConfig,
  createEmbedderFromConfig,
  createRerankerFromConfig,
  openStoreFromConfig,
} from '@winnow/assemble';
import { parseConfig } from '@winnow/core';
import { beirSources, loadBeirDataset, parseBeirSource, percentile } from '@winnow/eval';
import { createIndexer, createRetriever, type RetrieverOptions } from '@winnow/pipeline';

const models = process.env.WINNOW_MODELS ?? join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'models');
const adi = join(models, '..', 'datasets', 'adi');
const config = parseConfig({
  chunk: { split: false, contextual: false },
  embed: { device: 'cpu' },
  rerank: { device: 'cpu' },
});
const fullDepth = { ...config.rerank, depth: 50, maxTokens: 512 };
const dataset = await loadBeirDataset(adi, { split: 'test' });
const queries = [...dataset.queries.values()].slice(0, Number(process.env.BENCH_QUERIES ?? 35));
const embedder = await createEmbedderFromConfig(config.embed);
const reranker = await createRerankerFromConfig(config.rerank);
const fullReranker = await createRerankerFromConfig(fullDepth);
const contextBuilder = await createContextBuilderFromConfig(config);

const drivers: ('pglite' | 'postgres')[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
const rows: string[][] = [];
for (const driver of drivers) {
  const store = await openStoreFromConfig(
    driver === 'pglite'
      ? { ...config.store, path: await mkdtemp(join(tmpdir(), 'winnow-bench-query-')) }
      : {
          ...config.store,
          driver: 'postgres',
          url: process.env.DATABASE_URL,
          collection: `bench_query_${process.pid}`,
        },
    embedder,
  );
  await createIndexer({
    loaders: parseBeirSource,
    chunker: await createChunkerFromConfig(config),
    embedder,
    store,
  }).run(beirSources(dataset));
  const { depth, maxTokens } = config.rerank;
  const setups: [string, RetrieverOptions][] = [
    [
      `default: hybrid 50 → rerank ${depth} @ ${maxTokens ?? 512} tokens, ${config.fusion.method} ${config.fusion.weight}`,
      { embedder, store, reranker, recall: config.recall, rerank: { k: 5, depth }, fusion: config.fusion },
    ],
    [
      'hybrid 50 → rerank all 50 @ 512 tokens',
      { embedder, store, reranker: fullReranker, recall: { k: 50, mode: 'hybrid' }, rerank: { k: 5, depth: 50 } },
    ],
    ['dense 50 (no rerank)', { embedder, store, recall: { k: 50, mode: 'dense' }, rerank: { k: 50 } }],
    ['lexical 50 (no rerank)', { store, recall: { k: 50, mode: 'lexical' }, rerank: { k: 50 } }],
  ];
  for (const [name, options] of setups) {
    const retriever = createRetriever(options);
    await retriever.retrieve(queries[0]?.text ?? 'warm up');
    const times: Record<'embed' | 'recall' | 'rerank' | 'pack' | 'total' | 'perPair', number[]> = {
      perPair: [],
      embed: [],
      recall: [],
      rerank: [],
      pack: [],
      total: [],
    };
    for (const q of queries) {
      const result = await retriever.retrieve(q.text);
      const t = performance.now();
      await contextBuilder.build(q.text, result.candidates.slice(0, 5));
      const pack = performance.now() - t;
      times.embed.push(result.timings.embedMs ?? 0);
      times.recall.push(result.timings.recallMs ?? 0);
      times.rerank.push(result.timings.rerankMs ?? 0);
      const scored = result.recalled === 0 ? 0 : Math.min(options.rerank?.depth ?? 50, result.recalled);
      if (options.reranker && scored > 0) times.perPair.push((result.timings.rerankMs ?? 0) / scored);
      times.pack.push(pack);
      times.total.push(result.timings.totalMs + pack);
    }
    const cell = (xs: number[]) => `${percentile(xs, 50).toFixed(1)} / ${percentile(xs, 95).toFixed(1)}`;
    rows.push([
      driver,
      name,
      cell(times.embed),
      cell(times.recall),
      cell(times.rerank),
      cell(times.pack),
      cell(times.total),
      times.perPair.length === 0 ? '–' : percentile(times.perPair, 50).toFixed(1),
    ]);
  }
  if (driver === 'postgres') await (store as unknown as { drop(): Promise<void> }).drop();
  await store.close();
}

const header = ['store', 'configuration', 'embed ms p50/p95', 'recall', 'rerank', 'pack', 'total', 'ms/pair p50'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(
  `ADI, ${queries.length} queries, context of the top 5 packed for gpt-4o-mini; load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} at the end`,
);
console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
await reranker?.close?.();
await fullReranker?.close?.();
await embedder.close?.();
