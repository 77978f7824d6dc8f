import { readFileSync } from 'node:fs';
import { assembleDocument, type Chunk, chunkId, type DraftBlock, isWinnowError, textHash } from '@winnow/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createApproximateTokenCounter,
  createChunker,
  EXCEEDS_MAX_TOKENS,
  type ModelTokenCounter,
  reconstructText,
} from '../src/index.js';
import { chunkViolations, corpusFile, header, markdownDocument, miniLmCounter } from './helpers.js';

let counter: ModelTokenCounter;
beforeAll(async () => {
  counter = await miniLmCounter();
});

const sentence = (i: number) => `Sentence ${i} explains one more detail of the installation procedure.`;
const sentences = (from: number, n: number) => Array.from({ length: n }, (_, i) => sentence(from + i)).join(' ');

function containing(chunks: readonly Chunk[], needle: string): Chunk {
  const found = chunks.find((chunk) => chunk.text.includes(needle));
  if (found === undefined) throw new Error(`no chunk contains ${JSON.stringify(needle)}`);
  return found;
}

describe('a real Markdown file (pnpm docs, installation.md)', () => {
  const path = corpusFile('markdown-versions', 'new', 'installation.md');
  const source = readFileSync(path, 'utf8').split('\n');
  const lineOf = (needle: string) => source.findIndex((line) => line.includes(needle)) + 1;

  it('gives every chunk its heading path, source lines and the document title in the embed text', async () => {
    const doc = markdownDocument(path, 'installation.md');
    const chunker = createChunker({ tokenCounter: counter, targetTokens: 120, maxTokens: 160, overlapTokens: 16 });
    const chunks = await chunker.chunk(doc);
    expect(chunkViolations(doc, chunks, counter, 160)).toEqual([]);
    expect(reconstructText(doc, chunks)).toBe(doc.text);

    const defender = containing(chunks, 'Windows Defender may block');
    expect(defender.headingPath).toEqual(['Using a standalone script', 'On Windows']);
    const line = lineOf('Windows Defender may block');
    expect(defender.provenance.lineStart).toBeLessThanOrEqual(line);
    expect(defender.provenance.lineEnd).toBeGreaterThanOrEqual(line);

    const powershell = containing(chunks, 'notepad $profile.AllUsersAllHosts');
    expect(powershell.headingPath).toEqual([
      'Using a shorter alias',
      'Adding a permanent alias in Powershell (Windows):',
    ]);

    // Every chunk lies inside one `##` section (the file has no title heading: `##` is its top level).
    for (const chunk of chunks) expect(chunk.headingPath.length).toBeGreaterThanOrEqual(1);
    const docker = containing(chunks, 'ENV="$HOME/.bashrc"');
    expect(docker.headingPath.slice(0, 2)).toEqual(['Using a standalone script', 'In a Docker container']);
    // The front matter title leads the embedded text; the stored text stays clean.
    expect(defender.embedText?.startsWith('Installation\nUsing a standalone script')).toBe(true);
    expect(defender.text.startsWith('Installation')).toBe(false);
  });

  it('keeps chunks within the real model limit when sized with the fallback counter', async () => {
    const approximate = createApproximateTokenCounter();
    const chunker = createChunker({ tokenCounter: approximate, targetTokens: 200, maxTokens: 256, overlapTokens: 32 });
    for (const name of ['installation.md', 'settings.md', 'filtering.md', 'package_json.md', 'faq.md']) {
      const doc = markdownDocument(corpusFile('markdown-versions', 'new', name), name);
      const chunks = await chunker.chunk(doc);
      expect(reconstructText(doc, chunks)).toBe(doc.text);
      for (const chunk of chunks) expect(counter.count(chunk.embedText ?? chunk.text)).toBeLessThanOrEqual(256);
    }
  });
});

describe('sections', () => {
  it('never joins two top-level sections, but packs small subsections together', async () => {
    const doc = assembleDocument(header('s.md'), [
      { kind: 'heading', level: 1, text: 'Alpha' },
      { kind: 'paragraph', text: 'Alpha is short.' },
      { kind: 'heading', level: 1, text: 'Beta' },
      { kind: 'paragraph', text: 'Beta is short too.' },
      { kind: 'heading', level: 2, text: 'Linux' },
      { kind: 'paragraph', text: 'Run the script.' },
      { kind: 'heading', level: 2, text: 'macOS' },
      { kind: 'paragraph', text: 'Use Homebrew.' },
    ]);
    const chunks = await createChunker({ tokenCounter: counter, targetTokens: 200, maxTokens: 256 }).chunk(doc);
    expect(chunks.map((chunk) => chunk.text)).toEqual([
      'Alpha\n\nAlpha is short.',
      'Beta\n\nBeta is short too.\n\nLinux\n\nRun the script.\n\nmacOS\n\nUse Homebrew.',
    ]);
    expect(chunks.map((chunk) => chunk.headingPath)).toEqual([['Alpha'], ['Beta']]);
  });

  it('treats the sections under a lone title heading as top-level', async () => {
    const doc = assembleDocument(header('t.md', 'Guide'), [
      { kind: 'heading', level: 1, text: 'Guide' },
      { kind: 'paragraph', text: 'What this guide covers.' },
      { kind: 'heading', level: 2, text: 'Install' },
      { kind: 'paragraph', text: 'Install it.' },
      { kind: 'heading', level: 3, text: 'Linux' },
      { kind: 'paragraph', text: 'Use apt.' },
      { kind: 'heading', level: 2, text: 'Usage' },
      { kind: 'paragraph', text: 'Run it.' },
    ]);
    const chunks = await createChunker({ tokenCounter: counter }).chunk(doc);
    expect(chunks.map((chunk) => chunk.headingPath)).toEqual([['Guide'], ['Guide', 'Install'], ['Guide', 'Usage']]);
    // A chunk opening with its own heading does not repeat it (nor the title, which is the first heading).
    expect(chunks[0]?.embedText).toBeUndefined();
    expect(chunks[1]?.embedText).toBe(`Guide\n\n${chunks[1]?.text}`);
  });
});

describe('pages', () => {
  it('records every page a chunk touches, merging small pages', async () => {
    const drafts: DraftBlock[] = [
      { kind: 'pageBreak', page: 1, text: '' },
      { kind: 'heading', level: 1, text: 'Report' },
      { kind: 'paragraph', text: 'First page, short.' },
      { kind: 'pageBreak', page: 2, text: '' },
      { kind: 'paragraph', text: 'Second page, also short.' },
      { kind: 'pageBreak', page: 3, text: '' },
      { kind: 'paragraph', text: sentences(0, 30) },
      { kind: 'pageBreak', page: 4, text: '' },
      { kind: 'paragraph', text: 'Fourth page.' },
    ];
    const doc = assembleDocument({ ...header('r.pdf'), mediaType: 'application/pdf' }, drafts);
    const chunks = await createChunker({ tokenCounter: counter, targetTokens: 100, maxTokens: 128 }).chunk(doc);
    expect(chunkViolations(doc, chunks, counter, 128)).toEqual([]);
    // Pages are no chunk boundary: the two short pages share a chunk with the start of page 3.
    const first = containing(chunks, 'First page');
    expect(first.text).toContain('Second page');
    expect(first.provenance.page).toBe(1);
    expect(first.provenance.pages?.slice(0, 2)).toEqual([1, 2]);
    const { page = 0, pageEnd = 0, pages = [] } = first.provenance;
    expect(pages).toEqual(Array.from({ length: pageEnd - page + 1 }, (_, i) => page + i));
    const middle = containing(chunks, sentence(12));
    expect(middle.provenance.page).toBe(3);
    expect(middle.provenance.pageEnd).toBeUndefined();
    expect(middle.provenance.pages).toEqual([3]);
    const last = containing(chunks, 'Fourth page');
    expect(last.provenance.pages?.at(-1)).toBe(4);
    expect(last.provenance.pages?.every((page) => page >= 3)).toBe(true);
  });
});

describe('code and tables', () => {
  const codeLines = (n: number) =>
    Array.from({ length: n }, (_, i) => `  const value${i} = compute(${i}, 'argument number ${i}');`).join('\n');

  it('keeps a code block whole when it fits the hard maximum, even above the target', async () => {
    const code = codeLines(8);
    const doc = assembleDocument(header('c.md'), [
      { kind: 'paragraph', text: 'Before the code.' },
      { kind: 'code', text: code, language: 'ts' },
      { kind: 'paragraph', text: 'After the code.' },
    ]);
    const codeTokens = counter.count(code);
    const chunker = createChunker({ tokenCounter: counter, targetTokens: codeTokens - 20, maxTokens: codeTokens + 5 });
    const chunks = await chunker.chunk(doc);
    expect(chunks.filter((chunk) => chunk.text.includes('value0'))).toHaveLength(1);
    expect(containing(chunks, 'value0').text).toContain('value7');
    // Its leading indentation is kept.
    expect(chunks.some((chunk) => chunk.text.includes(code))).toBe(true);
  });

  it('splits a code block longer than the maximum on line boundaries', async () => {
    const code = codeLines(60);
    const doc = assembleDocument(header('c.md'), [{ kind: 'code', text: code, language: 'ts' }]);
    const chunks = await createChunker({ tokenCounter: counter, targetTokens: 100, maxTokens: 128 }).chunk(doc);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunkViolations(doc, chunks, counter, 128)).toEqual([]);
    const all = new Set(code.split('\n'));
    for (const chunk of chunks) for (const line of chunk.text.split('\n')) expect(all.has(line)).toBe(true);
    expect(reconstructText(doc, chunks)).toBe(doc.text);
  });

  it('keeps a table whole when it fits', async () => {
    const rows = Array.from({ length: 6 }, (_, i) => [`row ${i}`, `${i * 7}`, `note ${i}`]);
    const text = rows.map((row) => row.join(' | ')).join('\n');
    const doc = assembleDocument(header('t.md'), [
      { kind: 'paragraph', text: sentences(0, 12) },
      { kind: 'table', rows, text },
    ]);
    const chunks = await createChunker({ tokenCounter: counter, targetTokens: 60, maxTokens: 128 }).chunk(doc);
    expect(containing(chunks, 'row 0').text).toContain('row 5');
  });
});

describe('overlap', () => {
  const doc = assembleDocument(header('o.md'), [
    { kind: 'heading', level: 1, text: 'Long' },
    { kind: 'paragraph', text: sentences(0, 60) },
    { kind: 'heading', level: 2, text: 'Next' },
    { kind: 'paragraph', text: sentences(100, 3) },
  ]);

  it('repeats whole sentences from the end of the previous chunk, within overlapTokens', async () => {
    const chunks = await createChunker({
      tokenCounter: counter,
      targetTokens: 80,
      maxTokens: 100,
      overlapTokens: 30,
    }).chunk(doc);
    expect(chunkViolations(doc, chunks, counter, 100)).toEqual([]);
    const inLong = chunks.filter((chunk) => chunk.text.includes('Sentence') && !chunk.text.includes('Next'));
    expect(inLong.length).toBeGreaterThan(4);
    for (const [index, chunk] of inLong.entries()) {
      const previous = inLong[index - 1];
      if (previous === undefined) continue;
      expect(chunk.provenance.charStart).toBeLessThan(previous.provenance.charEnd);
      const shared = doc.text.slice(chunk.provenance.charStart, previous.provenance.charEnd);
      expect(shared.startsWith('Sentence')).toBe(true);
      expect(counter.count(shared) - 2).toBeLessThanOrEqual(30);
    }
    // The chunk that opens a section takes no overlap.
    const next = containing(chunks, 'Next');
    expect(next.text.startsWith('Next')).toBe(true);
    expect(reconstructText(doc, chunks)).toBe(doc.text);
  });

  it('takes none when overlapTokens is 0', async () => {
    const chunks = await createChunker({
      tokenCounter: counter,
      targetTokens: 80,
      maxTokens: 100,
      overlapTokens: 0,
    }).chunk(doc);
    for (const [index, chunk] of chunks.entries()) {
      const previous = chunks[index - 1];
      if (previous !== undefined)
        expect(chunk.provenance.charStart).toBeGreaterThanOrEqual(previous.provenance.charEnd);
    }
  });

  it('falls back to word boundaries when the last sentence is longer than the overlap', async () => {
    const words = Array.from({ length: 400 }, (_, i) => `word${i % 10}`).join(' ');
    const run = assembleDocument(header('w.md'), [{ kind: 'paragraph', text: words }]);
    const chunks = await createChunker({
      tokenCounter: counter,
      targetTokens: 60,
      maxTokens: 80,
      overlapTokens: 10,
    }).chunk(run);
    expect(chunkViolations(run, chunks, counter, 80)).toEqual([]);
    const [first, second] = chunks;
    expect(second?.provenance.charStart).toBeLessThan(first?.provenance.charEnd ?? 0);
    expect(second?.text.startsWith('word')).toBe(true);
  });
});

describe('chunk identity, metadata and context', () => {
  const doc = assembleDocument(header('id.md', 'Handbook'), [
    { kind: 'heading', level: 1, text: 'Setup' },
    { kind: 'paragraph', text: sentences(0, 20) },
  ]);

  it('derives ids from document, ordinal and text; hashes what is embedded', async () => {
    const chunks = await createChunker({ tokenCounter: counter, targetTokens: 60, maxTokens: 80 }).chunk(doc);
    for (const chunk of chunks) {
      expect(chunk.id).toBe(chunkId('id.md', chunk.ordinal, textHash(chunk.text)));
      expect(chunk.hash).toBe(textHash(chunk.embedText ?? chunk.text));
      expect(chunk.metadata).toEqual(doc.metadata);
      expect(chunk.metadata).not.toBe(doc.metadata);
    }
    const again = await createChunker({ tokenCounter: counter, targetTokens: 60, maxTokens: 80 }).chunk(doc);
    expect(again).toEqual(chunks);
    expect(containing(chunks, sentence(10)).embedText?.startsWith('Handbook\nSetup\n\n')).toBe(true);
  });

  it('leaves embedText out when contextual is off', async () => {
    const chunks = await createChunker({ tokenCounter: counter, contextual: false }).chunk(doc);
    for (const chunk of chunks) {
      expect(chunk.embedText).toBeUndefined();
      expect(chunk.hash).toBe(textHash(chunk.text));
    }
  });
});

describe('whole-document mode', () => {
  it('yields one chunk per document and flags one longer than maxTokens', async () => {
    const long = assembleDocument(header('long.txt', 'A long one'), [
      { kind: 'paragraph', text: sentences(0, 80) },
      { kind: 'paragraph', text: sentences(80, 5) },
    ]);
    const short = assembleDocument(header('short.txt'), [{ kind: 'paragraph', text: 'Just a line.' }]);
    const chunker = createChunker({ tokenCounter: counter, split: false });
    const [chunk, extra] = await chunker.chunk(long);
    expect(extra).toBeUndefined();
    expect(chunk?.text).toBe(long.text);
    expect(chunk?.tokenCount).toBe(counter.count(long.text));
    expect(chunk?.metadata[EXCEEDS_MAX_TOKENS]).toBe(true);
    expect(chunk?.embedText).toBe(`A long one\n\n${long.text}`);
    const [small] = await chunker.chunk(short);
    expect(small?.metadata[EXCEEDS_MAX_TOKENS]).toBeUndefined();
    expect(small?.text).toBe('Just a line.');
  });
});

describe('errors and edge cases', () => {
  it('returns no chunks for an empty document', async () => {
    const empty = assembleDocument(header('empty.md'), [{ kind: 'pageBreak', page: 1, text: '' }]);
    expect(await createChunker({ tokenCounter: counter }).chunk(empty)).toEqual([]);
    expect(await createChunker({ tokenCounter: counter, split: false }).chunk(empty)).toEqual([]);
  });

  it('rejects settings that break the schema or leave no room for text, naming the field', () => {
    const errorOf = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const inverted = errorOf(() => createChunker({ tokenCounter: counter, targetTokens: 300, maxTokens: 256 }));
    expect(isWinnowError(inverted, 'E_CONFIG_INVALID')).toBe(true);
    expect(String(inverted)).toContain('field chunk.targetTokens');
    const tiny = errorOf(() =>
      createChunker({ tokenCounter: counter, targetTokens: 4, maxTokens: 6, overlapTokens: 0 }),
    );
    expect(isWinnowError(tiny, 'E_CONFIG_INVALID')).toBe(true);
    expect(String(tiny)).toContain('field chunk.maxTokens');
    expect(String(tiny)).toContain('all-MiniLM-L6-v2');
  });

  it('rejects a document whose block offsets do not match its text, naming it', async () => {
    const doc = assembleDocument(header('bad.md'), [{ kind: 'paragraph', text: 'Some text.' }]);
    const broken = { ...doc, text: 'Other text.' };
    const error = await createChunker({ tokenCounter: counter })
      .chunk(broken)
      .catch((caught: unknown) => caught);
    expect(isWinnowError(error, 'E_PARSE')).toBe(true);
    expect(String(error)).toContain('file:///docs/bad.md');
  });

  it('stops with E_ABORTED when the signal fires', async () => {
    const doc = assembleDocument(
      header('big.md'),
      Array.from({ length: 400 }, (_, i): DraftBlock => ({ kind: 'paragraph', text: sentences(i * 10, 10) })),
    );
    const before = new AbortController();
    before.abort();
    const early = await createChunker({ tokenCounter: counter })
      .chunk(doc, { signal: before.signal })
      .catch((caught: unknown) => caught);
    expect(isWinnowError(early, 'E_ABORTED')).toBe(true);
    // Abort from inside the work (the 50th count), so the test does not depend on timing.
    const during = new AbortController();
    let counts = 0;
    const aborting = {
      id: counter.id,
      count: (text: string) => {
        counts += 1;
        if (counts === 50) during.abort();
        return counter.count(text);
      },
    };
    const late = await createChunker({ tokenCounter: aborting })
      .chunk(doc, { signal: during.signal })
      .catch((caught: unknown) => caught);
    expect(isWinnowError(late, 'E_ABORTED')).toBe(true);
  });

  it('shows lost text in the reconstruction', async () => {
    const doc = assembleDocument(header('lost.md'), [{ kind: 'paragraph', text: sentences(0, 30) }]);
    const chunks = await createChunker({
      tokenCounter: counter,
      targetTokens: 60,
      maxTokens: 80,
      overlapTokens: 0,
    }).chunk(doc);
    expect(reconstructText(doc, chunks)).toBe(doc.text);
    expect(
      reconstructText(
        doc,
        chunks.filter((chunk) => chunk.ordinal !== 1),
      ),
    ).not.toBe(doc.text);
  });
});
