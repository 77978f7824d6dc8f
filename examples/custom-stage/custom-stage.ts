/**
 * Your own reranker and retrieval stage, reached from the configuration by name, with no change to winnow:
 * `keyword-overlap` scores passages by the longer words they share with the query, and `boost-recent` adds to the
 * final score of documents whose front matter says they were updated lately. Both are registered with a
 * ProviderRegistry and named in winnow.config.yaml beside this file.
 *
 *   npx tsx --conditions=source examples/custom-stage/custom-stage.ts ["question"]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRegistry, openPipeline } from '@winnow/assemble';
import { type Candidate, type CandidateStage, loadConfigFile, type Reranker } from '@winnow/core';
import { folderSource } from '@winnow/ingest';
import { rankFinal } from '@winnow/pipeline';

/** Scores a passage by how many of the query's words (of at least `minLength` letters) it contains. */
function keywordOverlapReranker(options: { minLength?: number }): Reranker {
  const minLength = options.minLength ?? 4;
  const words = (text: string) =>
    new Set((text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((word) => word.length >= minLength));
  return {
    modelId: `keyword-overlap@${minLength}`,
    async score(query, passages) {
      const wanted = words(query);
      return passages.map((passage) => [...words(passage)].filter((word) => wanted.has(word)).length);
    },
  };
}

/** Adds `weight × 0.5^(age / halfLifeDays)` to the final score, the age taken from the document's `updated`. */
function boostRecentStage(options: { weight?: number; halfLifeDays?: number; today?: string }): CandidateStage {
  const weight = options.weight ?? 1;
  const halfLifeDays = options.halfLifeDays ?? 90;
  const today = options.today === undefined ? Date.now() : Date.parse(options.today);
  const boost = (candidate: Candidate) => {
    const updated = Date.parse(String(candidate.document?.metadata.updated ?? ''));
    if (Number.isNaN(updated)) return 0;
    return weight * 0.5 ** (Math.max(0, today - updated) / 86_400_000 / halfLifeDays);
  };
  return {
    name: 'boost-recent',
    async run(_query, candidates) {
      const boosted = new Map(candidates.map((c) => [c, (c.scores.final ?? 0) + boost(c)]));
      const order = [...candidates].sort((a, b) => (boosted.get(b) ?? 0) - (boosted.get(a) ?? 0));
      return rankFinal(order, (c) => boosted.get(c));
    },
  };
}

const NOTES: Record<string, string> = {
  'rotation-2019.md': `---\nupdated: 2019-03-01\n---\n# Log rotation\n\nLog files are rotated weekly by logrotate and kept for four weeks on each host.\n`,
  'rotation-2026.md': `---\nupdated: 2026-11-20\n---\n# Log rotation\n\nLog files are rotated daily by the collector and kept for one week in the log store.\n`,
  'backups.md': `---\nupdated: 2026-10-01\n---\n# Backups\n\nThe database is dumped every night with pg_dump and kept for thirty days.\n`,
};

const question = process.argv[2] ?? 'How are log files rotated?';
const workDir = await mkdtemp(join(tmpdir(), 'winnow-custom-stage-'));
const folder = join(workDir, 'notes');
await mkdir(folder);
for (const [name, text] of Object.entries(NOTES)) await writeFile(join(folder, name), text);

const registry = createRegistry()
  .reranker('keyword-overlap', (settings) => keywordOverlapReranker(settings.options ?? {}))
  .stage('boost-recent', (options) => boostRecentStage(options));
const config = await loadConfigFile(fileURLToPath(new URL('winnow.config.yaml', import.meta.url)));
const pipeline = await openPipeline(config, { registry, baseDir: workDir });
try {
  const report = await pipeline.indexer.run(folderSource(folder, config.ingest));
  console.log(`indexed ${report.added.length} documents`);
  const result = await pipeline.retriever.retrieve(question);
  console.log(`reranker ${(await pipeline.reranker())?.modelId}`);
  console.log(`stages ${Object.keys(result.timings.stagesMs ?? {}).join(' → ')}`);
  for (const [rank, c] of result.candidates.entries()) {
    console.log(
      `${rank + 1}. ${c.chunk.documentId} (updated ${c.document?.metadata.updated}): rerank ${c.scores.rerank}, final ${c.scores.final?.toFixed(3)}`,
    );
  }
} finally {
  await pipeline.close();
  await rm(workDir, { recursive: true, force: true });
}
