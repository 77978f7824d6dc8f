/**
 * Library quick start: index a folder of documents into embedded PGlite, then run two-stage retrieval (hybrid
 * recall, cross-encoder rerank) and print the results with each stage's score.
 *
 *   npx tsx --conditions=source examples/quick-start.ts [folder] ["question"]
 *
 * Without a folder, a few Markdown notes are written to a temp folder first. Models resolve from WINNOW_MODELS,
 * else ../shared/models beside the checkout, else the Hugging Face hub.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openPipeline } from '@winnow/assemble';
import { parseConfig } from '@winnow/core';
import { folderSource } from '@winnow/ingest';

const NOTES: Record<string, string> = {
  'backups.md': `# Backups\n\nThe database is dumped every night at 01:00 with pg_dump and kept for 30 days.\n\n## Restoring\n\nRestore a dump with pg_restore into an empty database, then run the migrations.\n`,
  'logging.md': `# Logging\n\nServices write JSON lines to stdout; the collector ships them to the log store.\n\n## Rotation\n\nLocal log files are rotated daily by logrotate and compressed after one day.\n`,
  'deploys.md': `# Deploys\n\nEvery merge to main is deployed to staging; production deploys need a tagged release.\n\n## Rollback\n\nRoll back by redeploying the previous tag; database migrations must stay backward compatible.\n`,
};

const workDir = await mkdtemp(join(tmpdir(), 'winnow-quick-start-'));
const folder = process.argv[2] ? resolve(process.argv[2]) : join(workDir, 'notes');
const question = process.argv[3] ?? 'How do I restore the database from a backup?';
if (!process.argv[2]) {
  await mkdir(folder);
  for (const [name, text] of Object.entries(NOTES)) await writeFile(join(folder, name), text);
}

// One configuration object, validated like winnow.config.yaml; everything not given takes its default.
const config = parseConfig({
  store: { driver: 'pglite', path: join(workDir, 'db') },
  embed: { model: 'all-MiniLM-L6-v2', device: 'cpu' }, // 'auto' tries CUDA, then WebGPU, then the CPU
  recall: { mode: 'hybrid', k: 50 },
  // Stage 2 is the default MS MARCO cross-encoder (ms-marco-MiniLM-L-12-v2) on the best rerank.depth candidates; the
  // final order interpolates its scores with recall's, so recall evidence always counts.
  rerank: { device: 'cpu', k: 3 },
});

// The embedder and the store open now; the chunker and the reranker load when first needed.
const pipeline = await openPipeline(config);
try {
  const report = await pipeline.indexer.run(folderSource(folder, config.ingest));
  console.log(`indexed ${report.added.length} documents, ${report.chunks.written} chunks from ${folder}`);

  const result = await pipeline.retriever.retrieve(question);
  console.log(`\n${question}  (${result.recalled} recalled, ${result.timings.totalMs.toFixed(0)} ms)`);
  for (const [rank, candidate] of result.candidates.entries()) {
    const scores = Object.entries(candidate.scores)
      .map(([stage, score]) => `${stage} ${Number(score).toFixed(3)}`)
      .join(', ');
    console.log(`\n${rank + 1}. ${candidate.chunk.documentId} › ${candidate.chunk.headingPath.join(' › ')}`);
    console.log(`   ${scores}`);
    console.log(`   ${candidate.chunk.text.replace(/\s+/g, ' ').slice(0, 160)}`);
  }
} finally {
  await pipeline.close();
  await rm(workDir, { recursive: true, force: true });
}
