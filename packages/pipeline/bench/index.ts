/**
 * `winnow index` end to end on SciFact, one Markdown file per abstract, into the PostgreSQL server (DATABASE_URL),
 * through the assembled pipeline the CLI uses (config defaults: all-MiniLM-L6-v2 q8, the default chunker, the
 * server store; the ANN index is built at the end of the run). Printed: wall and CPU time, peak RSS, docs/s and
 * chunks/s; and, in the same run as baselines: bare onnxruntime embedding of the same chunk texts (tokenising +
 * `session.run`), the indexer's own write calls replayed with nothing else running, and one bulk COPY of the same
 * rows (every document in one `writeDocuments` call, one transaction).
 *
 *   DATABASE_URL=postgres://… nice pnpm bench:index [--docs N] [--threads N] [--no-bare] [--embedder-alone]
 *
 * --docs: the first N abstracts (default all 5,183). --threads: onnxruntime intra-op threads (config embed.threads;
 * default one per physical core). --no-bare leaves out the bare onnxruntime baseline; --embedder-alone adds the
 * framework's embedder alone on the same texts. Peak RSS is taken right after the run, before the baselines; it includes the
 * rows the bench keeps for the COPY baseline. The server's own CPU time is not in this process's figure.
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { openPipeline } from '@winnow/assemble';
import { parseConfig, type StoredDocumentWrite, WinnowError } from '@winnow/core';
import { folderSource } from '@winnow/ingest';
import { openPgVectorStore, type PgVectorStore } from '@winnow/pgvector';
import { bareEmbed } from '../../embed/bench/bare-onnx.js';
import { REINDEX_LOCK } from '../src/index.js';

const MODELS = process.env.WINNOW_MODELS ?? join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'models');
const CORPUS = join(MODELS, '..', 'datasets', 'scifact', 'corpus.jsonl.gz');
const DATABASE_URL = process.env.DATABASE_URL;

function flag(name: string): number | undefined {
  const at = process.argv.indexOf(name);
  if (at < 0) return undefined;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    throw new WinnowError('E_CONFIG_INVALID', `${name} takes a positive integer`, { setting: name });
  }
  return value;
}

/** The indexer's default embedBatchChunks. */
const EMBED_BATCH = 256;
const docLimit = flag('--docs') ?? Number.POSITIVE_INFINITY;
const threads = flag('--threads');
/** Leave out the bare onnxruntime baseline (e.g. to compare two checkouts' indexing quickly). */
const withBare = !process.argv.includes('--no-bare');
/** Also time the framework's embedder alone on the same texts (diagnostic: embedder vs indexer overhead). */
const withEmbedderAlone = process.argv.includes('--embedder-alone');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** One Markdown file per SciFact abstract (`# title`, then the abstract), as a user's folder would hold them. */
async function writeCorpus(dir: string): Promise<number> {
  const lines = createInterface({ input: createReadStream(CORPUS).pipe(createGunzip()) });
  let count = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const record = JSON.parse(line) as { _id: string; title?: string; text?: string };
    await writeFile(join(dir, `${record._id}.md`), `# ${record.title ?? ''}\n\n${record.text ?? ''}\n`);
    if (++count >= docLimit) {
      lines.close();
      break;
    }
  }
  return count;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** Label/value lines, labels padded to one width so consecutive prints line up. */
function print(rows: [string, string][]): void {
  for (const [label, value] of rows) console.log(`${label.padEnd(40)}  ${value}`);
}

function cpuSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

async function main() {
  if (!DATABASE_URL) throw new WinnowError('E_CONFIG_INVALID', 'set DATABASE_URL to a PostgreSQL server', {});
  const dir = await mkdtemp(join(tmpdir(), 'winnow-bench-index-'));
  const files = join(dir, 'scifact');
  await mkdir(files);
  const documents = await writeCorpus(files);
  const collection = `bench_index_${process.pid}`;
  const config = parseConfig({
    store: { driver: 'postgres', url: DATABASE_URL, collection },
    ...(threads === undefined ? {} : { embed: { threads } }),
  });
  console.log(`bench:index — ${documents} SciFact abstracts, one file each; load ${load()}`);

  // The CLI's path: open the pipeline (models load here, as `winnow index` pays it), then one run over the folder.
  const cpu = process.cpuUsage();
  const started = performance.now();
  const pipeline = await openPipeline(config);
  const store = pipeline.store as PgVectorStore;
  // Each successful write call, for the baselines: replayed alone, and as one bulk COPY.
  const calls: StoredDocumentWrite[][] = [];
  let writeMs = 0;
  const replace = store.replaceDocuments.bind(store);
  store.replaceDocuments = async (writes, options) => {
    const t = performance.now();
    await replace(writes, options);
    writeMs += performance.now() - t;
    calls.push([...writes]);
  };
  const build = store.buildIndex.bind(store);
  let buildMs = 0;
  store.buildIndex = async (options) => {
    const t = performance.now();
    const result = await build(options);
    buildMs += performance.now() - t;
    return result;
  };
  const report = await pipeline.indexer.run(folderSource(files));
  const wallMs = performance.now() - started;
  const cpuMs = cpuSince(cpu);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const chunks = report.chunks.written;
  if (report.failures.length > 0) console.log(`failures: ${JSON.stringify(report.failures.slice(0, 5))}`);
  const d = report.durationsMs;
  // Printed as soon as measured: the baselines after it take as long again on a full corpus.
  print([
    ['documents (added / failed)', `${report.added.length + report.changed.length} / ${report.failures.length}`],
    ['chunks written', String(chunks)],
    ['wall, models load to index built', s(wallMs)],
    ['CPU (this process, all threads)', `${s(cpuMs)} (${(cpuMs / wallMs).toFixed(2)} cores busy)`],
    ['peak RSS', `${peakRssMb.toFixed(0)} MB`],
    ['docs/s, chunks/s', `${((documents * 1000) / wallMs).toFixed(1)}, ${((chunks * 1000) / wallMs).toFixed(1)}`],
    ['stage times: load, chunk, embed, store', [d.load, d.chunk, d.embed, d.store].map(s).join(', ')],
    ['indexer writes (replaceDocuments calls)', `${s(writeMs)} (${((chunks * 1000) / writeMs).toFixed(0)} rows/s)`],
    ['ANN index build at the end of the run', s(buildMs)],
    ['load average after the run', load()],
  ]);

  const kept = calls.flat();
  const texts = kept.flatMap((w) => w.chunks.map((c) => c.embedText ?? c.text));
  const embedder = pipeline.embedder as typeof pipeline.embedder & {
    profile?: { documentPrefix: string };
    cache?: { clear?: () => void };
  };
  if (withEmbedderAlone) {
    // The embedder alone on the same chunk texts, in the indexer's batch size, its cache emptied first.
    embedder.cache?.clear?.();
    const aloneCpu = process.cpuUsage();
    const aloneStart = performance.now();
    for (let i = 0; i < texts.length; i += EMBED_BATCH) {
      await embedder.embed(texts.slice(i, i + EMBED_BATCH), { inputType: 'document' });
    }
    const aloneMs = performance.now() - aloneStart;
    print([['embedder alone, same texts, calls of 256', `${s(aloneMs)} wall, ${s(cpuSince(aloneCpu))} CPU`]]);
  }
  if (withBare) {
    // Baseline: bare onnxruntime on the same chunk texts.
    const bare = await bareEmbed(texts, {
      dir: join(MODELS, 'all-MiniLM-L6-v2'),
      maxTokens: embedder.maxTokens,
      documentPrefix: embedder.profile?.documentPrefix ?? '',
      ...(threads === undefined ? {} : { threads }),
    });
    print([
      ['bare onnxruntime, same chunk texts', `${s(bare.wallMs)} wall, ${s(bare.cpuMs)} CPU, ${bare.tokens} tokens`],
      [
        'indexer / bare embedding: wall, CPU',
        `${(wallMs / bare.wallMs).toFixed(2)}, ${(cpuMs / bare.cpuMs).toFixed(2)}`,
      ],
      ['load average after', load()],
    ]);
  }

  // The indexer's write calls replayed with nothing else running (during the run, loading and chunking share the
  // main thread with them), under the lock as in the run, then one bulk COPY of the same rows: one transaction.
  const openCopy = (suffix: string, maxChunksPerTransaction?: number) =>
    openPgVectorStore({
      driver: 'postgres',
      url: DATABASE_URL,
      collection: `${collection}_${suffix}`,
      modelId: embedder.modelId,
      dimensions: embedder.dimensions,
      deferIndex: true,
      ...(maxChunksPerTransaction === undefined ? {} : { maxChunksPerTransaction }),
    });
  const replayStore = await openCopy('replay');
  const replayStart = performance.now();
  await replayStore.withLock(
    REINDEX_LOCK,
    async () => {
      for (const call of calls) await replayStore.replaceDocuments(call);
    },
    { wait: false },
  );
  const replayMs = performance.now() - replayStart;
  const copyStore = await openCopy('copy', Math.max(1, chunks));
  const copyStart = performance.now();
  await copyStore.writeDocuments(kept);
  const copyMs = performance.now() - copyStart;
  const rate = (ms: number) => `${s(ms)} (${((chunks * 1000) / ms).toFixed(0)} rows/s)`;
  print([
    [`indexer's ${calls.length} write calls replayed alone`, rate(replayMs)],
    ['one bulk COPY of the same rows', rate(copyMs)],
    ['replayed writes / bulk COPY', (replayMs / copyMs).toFixed(2)],
    ['writes during the run / bulk COPY', (writeMs / copyMs).toFixed(2)],
    ['load average at the end', load()],
  ]);

  await replayStore.drop();
  await replayStore.close();
  await copyStore.drop();
  await copyStore.close();
  await store.drop();
  await pipeline.close();
  await rm(dir, { recursive: true, force: true });
}

await main();
