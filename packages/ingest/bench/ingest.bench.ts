/**
 * Ingestion figures: documents/s and MB/s per loader on the shared corpora and on SciFact (BEIR reader),
 * each next to a baseline measured in the same run, and peak memory while walking a large generated tree
 * (the lazy walker vs a recursive readdir that collects every path first).
 *
 *   pnpm bench:ingest                      # default: 20,000 files in the tree
 *   INGEST_BENCH_FILES=100000 pnpm bench:ingest
 *   INGEST_BENCH_SHARED=/path/to/shared    # where corpora/ and datasets/ live (default /work/shared)
 *   INGEST_BENCH_PARTS=walk                # any of loaders,beir,walk (default all)
 */
import { fork } from 'node:child_process';
import {
  createReadStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import type { Loader, SourceDocument } from '@winnow/core';

// Libraries are imported where they are used, so the tree-walking child processes load only what they measure.

const SHARED = process.env.INGEST_BENCH_SHARED ?? '/work/shared';
const CORPORA = join(SHARED, 'corpora');
const TREE_FILES = Number(process.env.INGEST_BENCH_FILES ?? 20_000);
const PARTS = new Set((process.env.INGEST_BENCH_PARTS ?? 'loaders,beir,walk').split(',').map((p) => p.trim()));

interface Figure {
  what: string;
  docs: number;
  bytes: number;
  ms: number;
}

function row(figure: Figure): string {
  const seconds = figure.ms / 1000;
  const docsPerSecond = figure.docs / seconds;
  const mbPerSecond = figure.bytes / 1e6 / seconds;
  return `${figure.what.padEnd(44)} ${String(figure.docs).padStart(6)} docs ${(figure.bytes / 1e6).toFixed(2).padStart(7)} MB ${figure.ms.toFixed(0).padStart(7)} ms ${docsPerSecond.toFixed(1).padStart(8)} docs/s ${mbPerSecond.toFixed(2).padStart(7)} MB/s`;
}

function filesUnder(dir: string, test: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && test(entry.name)) out.push(join(entry.parentPath, entry.name));
  }
  return out.sort();
}

async function sourceOf(path: string): Promise<SourceDocument> {
  const { contentHash } = await import('@winnow/core');
  const { detectMediaType } = await import('../src/index.js');
  const bytes = new Uint8Array(readFileSync(path));
  return {
    id: path,
    uri: path,
    mediaType: detectMediaType(bytes, path).mediaType,
    bytes,
    metadata: {},
    contentHash: contentHash(bytes),
  };
}

/** Runs a loader over files; files it rejects (encrypted, image-only, corrupt) are left out of the figure. */
async function measureLoader(what: string, loader: Loader, files: readonly string[]): Promise<Figure> {
  const sources = await Promise.all(files.map(sourceOf));
  let docs = 0;
  let bytes = 0;
  const start = performance.now();
  for (const source of sources) {
    try {
      await loader.load(source);
      docs += 1;
      bytes += source.bytes?.byteLength ?? 0;
    } catch {
      // Failures are part of the corpus (see expected.json); they do not count as throughput.
    }
  }
  return { what, docs, bytes, ms: performance.now() - start };
}

async function measure(
  what: string,
  files: readonly string[],
  work: (bytes: Uint8Array) => Promise<unknown>,
): Promise<Figure> {
  const contents = files.map((f) => new Uint8Array(readFileSync(f)));
  let docs = 0;
  let bytes = 0;
  const start = performance.now();
  for (const content of contents) {
    try {
      await work(content);
      docs += 1;
      bytes += content.byteLength;
    } catch {
      // As above: unreadable files are not throughput.
    }
  }
  return { what, docs, bytes, ms: performance.now() - start };
}

async function loaderFigures(): Promise<void> {
  const { HtmlLoader, MarkdownLoader, PdfLoader, TextLoader } = await import('../src/index.js');
  const { PDFParse } = await import('pdf-parse');
  const { load: loadHtml } = await import('cheerio');
  const { unified } = await import('unified');
  const { default: remarkParse } = await import('remark-parse');
  console.log('\n## Loaders on the shared corpora (baseline: the library alone, no layout or structure)');
  const pdfs = filesUnder(join(CORPORA, 'pdf'), (n) => n.endsWith('.pdf'));
  const expected = JSON.parse(readFileSync(join(CORPORA, 'pdf', 'expected.json'), 'utf8')) as Array<{
    file: string;
    password?: string;
  }>;
  const passwords = Object.fromEntries(
    expected.filter((e) => e.password).map((e) => [join(CORPORA, 'pdf', e.file), e.password as string]),
  );
  // One untimed pass warms up pdf.js (worker, font and CMap caches) for both contenders.
  await measureLoader('warm-up', new PdfLoader(), pdfs.slice(0, 3));
  console.log(
    row(await measureLoader('pdf: PdfLoader (columns, furniture, paragraphs)', new PdfLoader({ passwords }), pdfs)),
  );
  console.log(
    row(
      await measure('pdf: baseline pdf-parse getText()', pdfs, async (bytes) => {
        const parser = new PDFParse({ data: new Uint8Array(bytes) });
        try {
          await parser.getText();
        } finally {
          await parser.destroy();
        }
      }),
    ),
  );
  const html = filesUnder(join(CORPORA, 'html'), (n) => n.endsWith('.html'));
  console.log(row(await measureLoader('html: HtmlLoader (charset, main content, blocks)', new HtmlLoader(), html)));
  console.log(
    row(
      await measure('html: baseline cheerio load + body text', html, async (bytes) => {
        loadHtml(Buffer.from(bytes).toString('utf8'))('body').text();
      }),
    ),
  );
  const markdown = filesUnder(join(CORPORA, 'markdown-versions'), (n) => n.endsWith('.md'));
  console.log(row(await measureLoader('markdown: MarkdownLoader (GFM, front matter)', new MarkdownLoader(), markdown)));
  const remark = unified().use(remarkParse);
  console.log(
    row(
      await measure('markdown: baseline remark-parse only', markdown, async (bytes) => {
        remark.parse(Buffer.from(bytes).toString('utf8'));
      }),
    ),
  );
  const texts = filesUnder(CORPORA, (n) => n.endsWith('.txt'));
  console.log(row(await measureLoader('text: TextLoader (strict decode, paragraphs)', new TextLoader(), texts)));
  console.log(
    row(
      await measure('text: baseline Buffer.toString', texts, async (bytes) => {
        Buffer.from(bytes)
          .toString('utf8')
          .split(/\n\s*\n/);
      }),
    ),
  );
}

async function beirFigures(): Promise<void> {
  const { beirSource, loadAll } = await import('../src/index.js');
  console.log('\n## BEIR reader on SciFact (corpus.jsonl.gz, streamed)');
  const corpus = join(SHARED, 'datasets', 'scifact', 'corpus.jsonl.gz');
  let start = performance.now();
  let docs = 0;
  let chars = 0;
  for await (const result of loadAll(beirSource(corpus))) {
    if (result.ok) {
      docs += 1;
      chars += result.document.text.length;
    }
  }
  console.log(row({ what: 'beir: beirSource + PassageLoader', docs, bytes: chars, ms: performance.now() - start }));
  start = performance.now();
  docs = 0;
  chars = 0;
  const lines = createInterface({ input: createReadStream(corpus).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    const record = JSON.parse(line) as { text: string; title: string };
    docs += 1;
    chars += record.text.length + record.title.length + 1;
  }
  console.log(
    row({ what: 'beir: baseline gunzip + readline + JSON.parse', docs, bytes: chars, ms: performance.now() - start }),
  );
  console.log(
    `  (MB/s here counts passage text, not compressed bytes: ${(statSync(corpus).size / 1e6).toFixed(2)} MB on disk)`,
  );
}

/** 100 files per folder, 20 folders per parent: a realistic wide and moderately deep tree. */
function generateTree(root: string, files: number): void {
  for (let i = 0; i < files; i++) {
    const folder = join(root, `d${Math.floor(i / 2000)}`, `e${Math.floor(i / 100) % 20}`);
    if (i % 100 === 0) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `note-${i}.md`), `# Note ${i}\n\nSmall file number ${i}.\n`);
  }
}

type WalkMode = 'collect-paths' | 'walker' | 'folder-source';

/**
 * Runs in a child process (started with --expose-gc) so each mode starts from a fresh heap. The live heap is
 * sampled after a forced collection every 2,000 entries, so it shows what a mode holds, not garbage.
 */
async function walkChild(mode: WalkMode, root: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  let peakHeap = 0;
  const sample = () => {
    gc();
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  };
  // Modules are loaded before the first sample, so their code is not counted as what a mode holds.
  const { walk } = await import('../src/sources/walk.js');
  const { folderSource } = await import('../src/sources/folder.js');
  sample();
  const baseHeap = peakHeap;
  const start = performance.now();
  let count = 0;
  if (mode === 'collect-paths') {
    // Baseline: every path in memory first (readdir recursive), as a naive indexer would list its input.
    const paths = (await readdir(root, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
    sample();
    for (const _path of paths) {
      count += 1;
      if (count % 2000 === 0) sample();
    }
  } else if (mode === 'walker') {
    for await (const entry of walk(root, { include: ['**/*'], exclude: [], followSymlinks: false })) {
      if (entry.kind === 'file') count += 1;
      if (count % 2000 === 0) sample();
    }
  } else {
    for await (const item of folderSource(root)) {
      if ('bytes' in item) count += 1;
      if (count % 2000 === 0) sample();
    }
  }
  const ms = performance.now() - start;
  sample();
  process.send?.({ mode, count, ms, peakHeap: peakHeap - baseHeap, maxRss: process.resourceUsage().maxRSS * 1024 });
}

interface WalkResult {
  mode: WalkMode;
  count: number;
  ms: number;
  peakHeap: number;
  maxRss: number;
}

function runChild(mode: WalkMode, root: string): Promise<WalkResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--walk-child', mode, root], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (message) => resolve(message as WalkResult));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`walk child ${mode} exited with ${code}`));
    });
  });
}

async function walkFigures(): Promise<void> {
  console.log(
    `\n## Walking a generated tree of ${TREE_FILES.toLocaleString('en')} small Markdown files (each mode in a fresh process)`,
  );
  const root = mkdtempSync(join(tmpdir(), 'winnow-bench-tree-'));
  try {
    const start = performance.now();
    generateTree(root, TREE_FILES);
    console.log(`  generated in ${(performance.now() - start).toFixed(0)} ms under ${root}`);
    const labels: Record<WalkMode, string> = {
      'collect-paths': 'baseline: readdir recursive, all paths first',
      walker: 'walk(): opendir, one folder at a time',
      'folder-source': 'folderSource: walk + read + detect + hash',
    };
    for (const mode of ['collect-paths', 'walker', 'folder-source'] as const) {
      const r = await runChild(mode, root);
      console.log(
        `  ${labels[mode].padEnd(46)} ${String(r.count).padStart(7)} files ${r.ms.toFixed(0).padStart(7)} ms ${(r.count / (r.ms / 1000)).toFixed(0).padStart(7)} files/s  live heap peak +${(r.peakHeap / 2 ** 20).toFixed(1).padStart(6)} MiB  max RSS ${(r.maxRss / 2 ** 20).toFixed(1).padStart(6)} MiB`,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const childIndex = process.argv.indexOf('--walk-child');
  if (childIndex >= 0) {
    await walkChild(process.argv[childIndex + 1] as WalkMode, process.argv[childIndex + 2] ?? '');
    return;
  }
  console.log(`# bench:ingest (node ${process.version}, shared data at ${SHARED})`);
  if (PARTS.has('loaders')) await loaderFigures();
  if (PARTS.has('beir')) await beirFigures();
  if (PARTS.has('walk')) await walkFigures();
}

await main();
