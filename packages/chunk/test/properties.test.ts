import {
  assembleDocument,
  type Chunk,
  chunkId,
  type DraftBlock,
  type HeadingLevel,
  type ParsedDocument,
  type TokenCounter,
  textHash,
} from '@winnow/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApproximateTokenCounter, createChunker, reconstructText } from '../src/index.js';
import { chunkViolations, header, miniLmCounter } from './helpers.js';

// ---- generated documents ---------------------------------------------------------------------------------------

const VOCABULARY = [
  'the',
  'retrieval',
  'of',
  'chunks',
  'model',
  'tokens',
  'install',
  'pnpm',
  'workspace',
  'embedding',
  'a',
  'is',
  'Überprüfung',
  'naïve',
  'café',
  'state-of-the-art',
  "don't",
  'e.g.',
  '42',
  '3.14',
  'U.S.',
  '(see',
  'above)',
  'x86_64',
];
const CJK = [...'検索拡張生成は外部の文書を検索してから回答を生成する日本語テキスト한국어中文'];

const longWord = fc.oneof(
  fc.integer({ min: 20, max: 1200 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 10, max: 300 }).map((n) => 'ab1.'.repeat(n)),
  fc.integer({ min: 10, max: 200 }).map((n) => 'Lorem'.repeat(n)),
  // Combining accents and emoji with skin-tone modifiers: cuts must fall between grapheme clusters.
  fc.integer({ min: 10, max: 400 }).map((n) => 'e\u0301'.repeat(n)),
  fc.integer({ min: 10, max: 200 }).map((n) => '\u{1F44D}\u{1F3FD}'.repeat(n)),
);
const word = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom(...VOCABULARY) },
  { weight: 5, arbitrary: fc.stringMatching(/^[a-z]{1,14}$/) },
  { weight: 1, arbitrary: longWord },
);
const latinSentence = fc
  .oneof(
    { weight: 8, arbitrary: fc.array(word, { minLength: 1, maxLength: 25 }) },
    fc.array(word, { minLength: 60, maxLength: 250 }),
  )
  .map((words) => `${words.join(' ')}.`);
const cjkSentence = fc
  .array(fc.constantFrom(...CJK), { minLength: 3, maxLength: 400 })
  .map((chars) => `${chars.join('')}。`);
const sentence = fc.oneof({ weight: 5, arbitrary: latinSentence }, cjkSentence);
const paragraphText = fc.array(sentence, { minLength: 1, maxLength: 8 }).map((parts) => parts.join(' '));
const shortText = fc.array(fc.constantFrom(...VOCABULARY), { minLength: 1, maxLength: 6 }).map((w) => w.join(' '));

const block: fc.Arbitrary<DraftBlock> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({ level: fc.integer({ min: 1, max: 4 }), text: shortText })
      .map(({ level, text }): DraftBlock => ({ kind: 'heading', level: level as HeadingLevel, text })),
  },
  { weight: 6, arbitrary: paragraphText.map((text): DraftBlock => ({ kind: 'paragraph', text })) },
  {
    weight: 2,
    arbitrary: fc
      .array(latinSentence, { minLength: 1, maxLength: 10 })
      .map((items): DraftBlock => ({ kind: 'list', ordered: false, items, text: items.join('\n') })),
  },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.array(word, { minLength: 1, maxLength: 12 })), {
        minLength: 1,
        maxLength: 40,
      })
      .map(
        (rows): DraftBlock => ({
          kind: 'code',
          language: 'ts',
          text: rows.map(([indent, words]) => `${' '.repeat(indent)}${words.join(' ')};`).join('\n'),
        }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.array(shortText, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 20 })
      .map((rows): DraftBlock => ({ kind: 'table', rows, text: rows.map((row) => row.join(' | ')).join('\n') })),
  },
  { weight: 1, arbitrary: fc.constant<DraftBlock>({ kind: 'pageBreak', page: 0, text: '' }) },
);

interface Case {
  doc: ParsedDocument;
  targetTokens: number;
  maxTokens: number;
  overlapTokens: number;
  contextual: boolean;
}

function documentCase(maxBlocks: number): fc.Arbitrary<Case> {
  return fc
    .record({
      blocks: fc.array(block, { maxLength: maxBlocks }),
      title: fc.option(shortText, { nil: undefined }),
      targetTokens: fc.integer({ min: 24, max: 160 }),
      extra: fc.integer({ min: 0, max: 80 }),
      overlapShare: fc.double({ min: 0, max: 0.9, noNaN: true }),
      contextual: fc.boolean(),
    })
    .map(({ blocks, title, targetTokens, extra, overlapShare, contextual }) => {
      // Number the pages in order and give every block source lines, as a PDF or Markdown loader would.
      let page = 0;
      let line = 1;
      const drafts = blocks.map((draft): DraftBlock => {
        const lines = draft.text.split('\n').length;
        const provenance = { lineStart: line, lineEnd: line + lines - 1 };
        line += lines + 1;
        if (draft.kind === 'pageBreak') return { ...draft, page: ++page, provenance: { page } };
        return { ...draft, provenance } as DraftBlock;
      });
      return {
        doc: assembleDocument(header('generated.md', title), drafts),
        targetTokens,
        maxTokens: targetTokens + extra,
        overlapTokens: Math.floor(overlapShare * targetTokens),
        contextual,
      };
    });
}

// ---- independent expectations ----------------------------------------------------------------------------------

interface HeadingAt {
  offset: number;
  depth: number;
  path: string[];
}

/** Heading stack walk, written independently of the chunker's outline. */
function headingsOf(doc: ParsedDocument): HeadingAt[] {
  const stack: { level: number; text: string }[] = [];
  const out: HeadingAt[] = [];
  for (const b of doc.blocks) {
    if (b.kind !== 'heading') continue;
    while (stack.length > 0 && (stack.at(-1)?.level ?? 0) >= b.level) stack.pop();
    stack.push({ level: b.level, text: b.text.replace(/\s+/g, ' ').trim() });
    out.push({ offset: b.provenance.charStart, depth: stack.length, path: stack.map((s) => s.text) });
  }
  return out;
}

function pathAt(headings: readonly HeadingAt[], offset: number): string[] {
  let path: string[] = [];
  for (const h of headings) if (h.offset <= offset) path = h.path;
  return path;
}

function isPrefix(prefix: readonly string[], of: readonly string[]): boolean {
  return prefix.length <= of.length && prefix.every((part, i) => part === of[i]);
}

/** The documented rule: depth 1, or depth 2 under a lone opening title heading. */
function topLevelOffsets(headings: readonly HeadingAt[]): number[] {
  const depthOne = headings.filter((h) => h.depth === 1);
  const loneTitle = headings[0]?.depth === 1 && depthOne.length === 1 && headings.some((h) => h.depth === 2);
  const top = loneTitle ? 2 : 1;
  return headings.filter((h) => h.depth <= top).map((h) => h.offset);
}

function pagesTouched(doc: ParsedDocument, start: number, end: number): number[] | undefined {
  let page: number | undefined;
  const pages = new Set<number>();
  for (const b of doc.blocks) {
    if (b.kind === 'pageBreak') page = b.page;
    else if (b.provenance.charStart < end && b.provenance.charEnd > start && page !== undefined) pages.add(page);
  }
  return pages.size === 0 ? undefined : [...pages].sort((a, b) => a - b);
}

function checkChunks(c: Case, chunks: readonly Chunk[], counter: TokenCounter): void {
  const { doc } = c;
  const overhead = counter.count('');
  expect(chunkViolations(doc, chunks, counter, c.maxTokens)).toEqual([]);
  expect(reconstructText(doc, chunks)).toBe(doc.text);
  const headings = headingsOf(doc);
  const tops = topLevelOffsets(headings);
  const firstHeading = headings[0]?.offset ?? Number.POSITIVE_INFINITY;
  for (const [index, chunk] of chunks.entries()) {
    const { charStart, charEnd, pages, lineStart, lineEnd } = chunk.provenance;
    expect(chunk.ordinal).toBe(index);
    expect(chunk.id).toBe(chunkId(doc.id, index, textHash(chunk.text)));
    expect(chunk.hash).toBe(textHash(chunk.embedText ?? chunk.text));
    // Heading path: shared by the chunk's first and last character, and present once headings have begun.
    expect(isPrefix(chunk.headingPath, pathAt(headings, charStart))).toBe(true);
    expect(isPrefix(chunk.headingPath, pathAt(headings, charEnd - 1))).toBe(true);
    if (charStart >= firstHeading) expect(chunk.headingPath.length).toBeGreaterThan(0);
    for (const top of tops) expect(charStart < top && top < charEnd).toBe(false);
    expect(pages).toEqual(pagesTouched(doc, charStart, charEnd));
    expect(lineStart !== undefined && lineEnd !== undefined && lineStart <= lineEnd).toBe(true);
    if (c.contextual === false) expect(chunk.embedText).toBeUndefined();
    expect(/^\p{M}/u.test(chunk.text) || /^[\u{1F3FB}-\u{1F3FF}]/u.test(chunk.text)).toBe(false);
    const previous = chunks[index - 1];
    if (previous !== undefined) {
      expect(charStart).toBeGreaterThan(previous.provenance.charStart);
      if (charStart < previous.provenance.charEnd) {
        const shared = doc.text.slice(charStart, previous.provenance.charEnd);
        expect(counter.count(shared) - overhead).toBeLessThanOrEqual(c.overlapTokens);
      }
    }
  }
}

async function chunkCase(c: Case, counter: TokenCounter): Promise<Chunk[]> {
  const { targetTokens, maxTokens, overlapTokens, contextual } = c;
  return createChunker({ tokenCounter: counter, targetTokens, maxTokens, overlapTokens, contextual }).chunk(c.doc);
}

// ---- properties ------------------------------------------------------------------------------------------------

describe('chunker properties (approximate counter)', () => {
  const counter = createApproximateTokenCounter();

  it('is lossless, bounded, structured and deterministic', async () => {
    await fc.assert(
      fc.asyncProperty(documentCase(24), async (c) => {
        const chunks = await chunkCase(c, counter);
        checkChunks(c, chunks, counter);
        expect(await chunkCase(c, counter)).toEqual(chunks);
      }),
      { numRuns: 120 },
    );
  });

  it('keeps each document whole when split is false', async () => {
    await fc.assert(
      fc.asyncProperty(documentCase(12), async ({ doc }) => {
        const chunks = await createChunker({ tokenCounter: counter, split: false }).chunk(doc);
        expect(chunks.length).toBe(doc.text.trim().length === 0 ? 0 : 1);
        expect(reconstructText(doc, chunks)).toBe(doc.text);
      }),
      { numRuns: 60 },
    );
  });
});

describe('chunker properties (real all-MiniLM-L6-v2 tokenizer)', () => {
  let counter: TokenCounter;
  beforeAll(async () => {
    counter = await miniLmCounter();
  });

  it('never exceeds the hard maximum in model tokens and reconstructs the text', async () => {
    await fc.assert(
      fc.asyncProperty(documentCase(14), async (c) => {
        const chunks = await chunkCase(c, counter);
        checkChunks(c, chunks, counter);
        expect((await chunkCase(c, counter)).map((chunk) => chunk.id)).toEqual(chunks.map((chunk) => chunk.id));
      }),
      { numRuns: 40 },
    );
  });
});
