/**
 * winnow on a PostgreSQL server with pgvector: index this project's documentation into a collection on the server
 * named by DATABASE_URL, then query it, once over everything and once filtered to one document.
 *
 *   eval "$(bash scripts/setup-postgres.sh)" && export DATABASE_URL
 *   npx tsx --conditions=source examples/postgres/index-and-query.ts ["question"] [--drop]
 *
 * WINNOW_COLLECTION names the collection (default winnow_example); --drop removes it at the end.
 */
import { fileURLToPath } from 'node:url';
import { openPipeline } from '@winnow/assemble';
import { type Filter, parseConfig } from '@winnow/core';
import { folderSource } from '@winnow/ingest';
import { PgVectorStore } from '@winnow/pgvector';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('Set DATABASE_URL, e.g.: eval "$(bash scripts/setup-postgres.sh)" && export DATABASE_URL');
  process.exit(2);
}
const args = process.argv.slice(2);
const drop = args.includes('--drop');
const question = args.find((arg) => arg !== '--drop') ?? 'How do two reindex runs at the same time stay apart?';
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const config = parseConfig({
  store: {
    driver: 'postgres',
    url,
    collection: process.env.WINNOW_COLLECTION ?? 'winnow_example',
    index: { type: 'hnsw', m: 16, efConstruction: 64 },
  },
  ingest: { include: ['README.md', 'ARCHITECTURE.md', 'packages/*/README.md'] },
  embed: { model: 'all-MiniLM-L6-v2', device: 'cpu' },
  recall: { mode: 'hybrid', k: 20, efSearch: 100 },
});

const pipeline = await openPipeline(config);
// The built-in store is pgvector's, with its index status and drop beside the VectorStore contract.
const { store } = pipeline;
if (!(store instanceof PgVectorStore)) throw new Error('expected the built-in pgvector store');
try {
  // Incremental: a second run skips unchanged files; the advisory lock keeps concurrent runs apart.
  const report = await pipeline.indexer.run(folderSource(repoRoot, config.ingest));
  const counts = await store.counts();
  const index = await store.indexStatus();
  console.log(
    `collection ${config.store.collection}: ${report.added.length} added, ${report.changed.length} changed, ` +
      `${report.unchanged} unchanged; ${counts.documents} documents, ${counts.chunks} chunks; ` +
      `${index.type} index ${index.exists ? 'built' : 'missing'}`,
  );

  const { retriever } = pipeline;
  // Filters run inside the SQL query (with pgvector's iterative index scans), not after it.
  const onlyCli: Filter = { field: 'documentId', op: 'eq', value: 'packages/cli/README.md' };
  for (const [label, filter] of [
    ['all documents', undefined],
    ['the CLI README only', onlyCli],
  ] as const) {
    const result = await retriever.retrieve(question, { k: 3, ...(filter ? { filter } : {}) });
    console.log(`\n${question} — ${label}`);
    for (const [rank, c] of result.candidates.entries()) {
      console.log(
        `  ${rank + 1}. ${c.chunk.documentId} › ${c.chunk.headingPath.join(' › ')}  (final ${c.scores.final?.toFixed(4)})`,
      );
    }
  }
  if (drop) {
    await store.drop();
    console.log(`\ndropped collection ${config.store.collection}`);
  }
} finally {
  await pipeline.close();
}
