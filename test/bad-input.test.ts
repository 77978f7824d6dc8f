/**
 * The bad-input corpus of issue 15 (test/fixtures/bad-input/generate.ts), read as `winnow index` reads a folder:
 * folder source, loaders within the per-document budget, and the chunker with the real MiniLM tokenizer. Every
 * case must have its expected outcome; every failure is reported once; nothing with a control character is chunked.
 * The long-line files are smaller here than at full size (bench:chunk measures the full-size scaling).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChunker, createTransformersTokenCounter } from '@winnow/chunk';
import { type Chunk, type ParsedDocument, parseConfig } from '@winnow/core';
import {
  beirSource,
  defaultLoaders,
  folderSource,
  type IngestFailure,
  loadAll,
  type SkippedEntry,
  skippedEntry,
} from '@winnow/ingest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Case, writeBadInput } from './fixtures/bad-input/generate.js';

const out = mkdtempSync(join(tmpdir(), 'winnow-bad-input-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Run {
  documents: Map<string, { doc: ParsedDocument; chunks: Chunk[] }>;
  failures: IngestFailure[];
  skipped: SkippedEntry[];
}

const CONTROL = /[^\P{Cc}\t\n]/u;
let cases: Case[];
const runs = new Map<string, Run>();

async function runFolder(settings: Record<string, unknown>): Promise<Run> {
  const config = parseConfig({ ingest: settings });
  const counter = await createTransformersTokenCounter('all-MiniLM-L6-v2');
  const chunker = createChunker({ tokenCounter: counter });
  const folder = join(out, 'folder');
  const run: Run = { documents: new Map(), failures: [], skipped: [] };
  const source = folderSource(folder, {
    ...config.ingest,
    onSkip: (path, reason, detail) => run.skipped.push(skippedEntry(path.slice(folder.length + 1), reason, detail)),
  });
  const loaders = defaultLoaders({ pdfPasswords: config.ingest.pdfPasswords });
  for await (const result of loadAll(source, { loaders, maxDocumentMs: config.ingest.maxDocumentMs })) {
    if (!result.ok) run.failures.push(result.failure);
    else run.documents.set(result.document.id, { doc: result.document, chunks: await chunker.chunk(result.document) });
  }
  return run;
}

beforeAll(async () => {
  cases = writeBadInput(out, { longLineBytes: 512 * 1024, bombBytes: 30_000_000 });
  runs.set('{}', await runFolder({}));
  // The other configurations matter for a few folders only: the long files are not read again.
  const followed = { followSymlinks: true };
  runs.set(JSON.stringify(followed), await runFolder({ ...followed, include: ['errors/**'] }));
  const rejecting = { onTypeMismatch: 'reject' };
  runs.set(JSON.stringify(rejecting), await runFolder({ ...rejecting, include: ['mismatch/**'] }));
});

function check(entry: Case, run: Run): void {
  const { outcome } = entry;
  const failure = run.failures.find((f) => f.id === entry.path);
  const skip = run.skipped.find((s) => s.path === entry.path);
  const loaded = run.documents.get(entry.path);
  if (outcome.kind === 'failed') {
    expect(failure, entry.what).toMatchObject({
      code: outcome.code,
      message: expect.stringMatching(new RegExp(outcome.message)),
    });
    expect(loaded).toBeUndefined();
  } else if (outcome.kind === 'skipped') {
    expect(skip, entry.what).toMatchObject({ reason: outcome.reason, why: expect.any(String) });
    expect(failure).toBeUndefined();
  } else {
    expect(failure, `${entry.what}: ${failure?.message}`).toBeUndefined();
    expect(loaded, entry.what).toBeDefined();
    const { doc, chunks } = loaded as { doc: ParsedDocument; chunks: Chunk[] };
    expect(chunks.length, entry.what).toBeGreaterThan(0);
    for (const text of outcome.contains ?? []) expect(doc.text, entry.what).toContain(text);
    for (const text of outcome.lacks ?? []) expect(doc.text, entry.what).not.toContain(text);
    if (outcome.headings) {
      expect(
        doc.blocks.filter((b) => b.kind === 'heading').map((b) => b.text),
        entry.what,
      ).toEqual(outcome.headings);
    }
    if (outcome.metadata) expect(doc.metadata, entry.what).toMatchObject(outcome.metadata);
  }
}

describe('the bad-input corpus', () => {
  it('gives every folder case its expected outcome, under each configuration', () => {
    const folderCases = cases.filter((entry) => !entry.path.startsWith('beir-'));
    expect(new Set(folderCases.map((entry) => entry.item))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
    for (const entry of folderCases) check(entry, runs.get(JSON.stringify(entry.config ?? {})) as Run);
  });

  it('reports each failure once, and chunks no control character', () => {
    for (const run of runs.values()) {
      const ids = run.failures.map((failure) => failure.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const { chunks } of run.documents.values())
        for (const chunk of chunks) expect(CONTROL.test(chunk.text)).toBe(false);
    }
  });

  it('reads the BEIR cases: a corpus with a BOM, and a gzip bomb stopped at the cap', async () => {
    const bom: string[] = [];
    for await (const result of loadAll(beirSource(join(out, 'beir-bom')))) {
      expect(result.ok).toBe(true);
      if (result.ok) bom.push(result.document.text);
    }
    expect(bom).toEqual(['First the first record', 'the second record']);
    const bombCase = cases.find((entry) => entry.path.startsWith('beir-bomb')) as Case;
    const outcome = bombCase.outcome as { code: string; message: string };
    const kept: string[] = [];
    const reading = (async () => {
      for await (const result of loadAll(beirSource(join(out, 'beir-bomb'), { maxDecompressedBytes: 10_000_000 }))) {
        if (result.ok) kept.push(result.document.id);
      }
    })();
    await expect(reading).rejects.toMatchObject({
      code: outcome.code,
      message: expect.stringMatching(new RegExp(outcome.message)),
    });
    expect(kept).toEqual(['kept']);
  });
});
