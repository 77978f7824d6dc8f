import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentHash, findProvenanceViolation, type ParsedDocument, type SourceDocument } from '@winnow/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectAll, folderSource, MarkdownLoader } from '../src/index.js';
import { CORPORA } from './helpers.js';

const TREES = join(CORPORA, 'markdown-versions');

function fixture(markdown: string, id = 'doc.md'): SourceDocument {
  const bytes = new TextEncoder().encode(markdown);
  return {
    id,
    uri: `file:///fixtures/${id}`,
    mediaType: 'text/markdown',
    bytes,
    metadata: {},
    contentHash: contentHash(bytes),
  };
}

/** `#` heading lines outside fenced code: what the heading blocks must match one to one. */
function atxHeadings(markdown: string): number {
  let fenced = false;
  let count = 0;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced && /^#{1,6}\s/.test(line)) count += 1;
  }
  return count;
}

const trees = new Map<string, ParsedDocument[]>();

beforeAll(async () => {
  for (const tree of ['old', 'new']) {
    const { documents, failures } = await collectAll(folderSource(join(TREES, tree), { include: ['**/*.md'] }));
    expect(failures).toEqual([]);
    trees.set(tree, documents);
  }
});

describe('MarkdownLoader on the pnpm docs trees', () => {
  it.each([
    ['old', 82],
    ['new', 85],
  ] as const)('loads every file of %s/ with its headings and front-matter title', (tree, count) => {
    const docs = trees.get(tree) ?? [];
    expect(docs).toHaveLength(count);
    for (const doc of docs) {
      const source = readFileSync(join(TREES, tree, doc.id), 'utf8');
      const frontTitle = /^title:\s*(.+)$/m.exec(source)?.[1]?.replace(/^['"]|['"]$/g, '');
      expect(doc.title, doc.id).toBe(frontTitle);
      expect(doc.metadata.id, doc.id).toBeTypeOf('string');
      expect(findProvenanceViolation(doc), doc.id).toBeUndefined();
      const lines = source.split('\n');
      for (const block of doc.blocks.filter((b) => b.kind === 'heading')) {
        // The heading's line range points at the `#` line that wrote it.
        const line = lines[(block.provenance.lineStart ?? 0) - 1] ?? '';
        expect(line, `${doc.id}: ${block.text}`).toMatch(
          new RegExp(`^#{${block.kind === 'heading' ? block.level : 1}} `),
        );
      }
    }
    const headingCount = (doc: ParsedDocument) => doc.blocks.filter((b) => b.kind === 'heading').length;
    const expectedCounts = docs.map((d) => atxHeadings(readFileSync(join(TREES, tree, d.id), 'utf8')));
    expect(docs.map(headingCount)).toEqual(expectedCounts);
    expect(expectedCounts.reduce((a, b) => a + b, 0)).toBeGreaterThan(300);
  });

  it('keeps the structure of cli/add.md: heading levels, table rows, fenced code language', () => {
    const add = trees.get('new')?.find((d) => d.id === 'cli/add.md');
    expect(add?.title).toBe('pnpm add <pkg>');
    const headings = add?.blocks
      .filter((b) => b.kind === 'heading')
      .map((b) => (b.kind === 'heading' ? [b.level, b.text] : []));
    expect(headings?.slice(0, 3)).toEqual([
      [2, 'TL;DR'],
      [2, 'Supported package locations'],
      [3, 'Install from npm registry'],
    ]);
    const table = add?.blocks.find((b) => b.kind === 'table');
    expect(table?.kind === 'table' ? table.rows.slice(0, 2) : []).toEqual([
      ['Command', 'Meaning'],
      ['pnpm add sax', 'Save to dependencies'],
    ]);
    expect(add?.blocks.find((b) => b.kind === 'code' && b.language === 'sh')?.text).toBe(
      'pnpm add ./package.tar.gz\npnpm add ./some-directory',
    );
  });

  it('leaves out MDX import lines and admonition fences', () => {
    const settings = trees.get('new')?.find((d) => d.id === 'settings.md');
    expect(readFileSync(join(TREES, 'new', 'settings.md'), 'utf8')).toMatch(/^import \w+ from '/m);
    const prose = (settings?.blocks ?? []).filter((b) => b.kind !== 'code').map((b) => b.text);
    expect(prose.filter((t) => /^import \w+ from/m.test(t))).toEqual([]);
    const all = [...(trees.get('new') ?? []), ...(trees.get('old') ?? [])];
    const fences = all.flatMap((d) => d.blocks.filter((b) => b.kind !== 'code' && /^:::/m.test(b.text)));
    expect(fences).toEqual([]);
  });
});

describe('MarkdownLoader details', () => {
  it('reads lists, nested quotes, GFM tables, front matter values and the first h1 as title', async () => {
    const doc = await new MarkdownLoader().load(
      fixture(
        '---\ntags: [a, b]\ndate: 2024-01-02\n---\n# The Title\n\n> quoted *text*\n\n3. three\n4. four\n\n| a | b |\n|---|---|\n| 1 | 2 |\n',
      ),
    );
    expect(doc.title).toBe('The Title');
    expect(doc.metadata).toMatchObject({ tags: ['a', 'b'], date: '2024-01-02' });
    expect(doc.blocks.map((b) => b.kind)).toEqual(['heading', 'paragraph', 'list', 'table']);
    expect(doc.blocks[2]).toMatchObject({ ordered: true, items: ['three', 'four'], text: '3. three\n4. four' });
    expect(doc.blocks[3]).toMatchObject({
      rows: [
        ['a', 'b'],
        ['1', '2'],
      ],
      provenance: { lineStart: 12, lineEnd: 14 },
    });
  });

  it('rejects broken front matter with E_PARSE naming the file', async () => {
    await expect(
      new MarkdownLoader().load(fixture('---\ntitle: [unclosed\n---\ntext\n', 'bad.md')),
    ).rejects.toMatchObject({
      code: 'E_PARSE',
      message: expect.stringContaining('bad.md'),
    });
  });
});

describe('long lines', () => {
  it('parses a one-line paragraph of 1 MiB with inline markup, keeping every word and the file line numbers', async () => {
    const words = 'the *retrieval* of `chunk` and [model](https://example.org) text';
    const line = Array.from({ length: Math.ceil((1024 * 1024) / (words.length + 1)) }, () => words).join(' ');
    const doc = await new MarkdownLoader().load(fixture(`# Title\n\n${line}\n\n## After\n\ntail paragraph\n`));
    const paragraphs = doc.blocks.filter((block) => block.kind === 'paragraph' && block.text !== 'tail paragraph');
    expect(paragraphs.length).toBeGreaterThan(1);
    for (const block of paragraphs) expect(block.provenance.lineStart).toBe(3);
    const joined = paragraphs.map((block) => block.text).join(' ');
    expect(joined.split(' ').length).toBe(line.split(' ').length);
    expect(doc.blocks.find((block) => block.text === 'After')?.provenance.lineStart).toBe(5);
    expect(doc.blocks.find((block) => block.text === 'tail paragraph')?.provenance.lineStart).toBe(7);
  });
});

describe('Python-Markdown and Material for MkDocs syntax', () => {
  const source = [
    '# Setup { #setup .main }', // 1
    '', // 2
    '## Options <!-- md:version 9.2 --> {: #options }', // 3
    '', // 4
    '<!-- md:flag experimental -->', // 5
    '', // 6
    '!!! note "Before you start"', // 7
    '    Install **Python** first.', // 8
    '', // 9
    '    - one step', // 10
    '    - another', // 11
    '', // 12
    '???+ warning', // 13
    '    Collapsible text.', // 14
    '', // 15
    '=== "pip"', // 16
    '', // 17
    '    ```sh', // 18
    '    pip install mkdocs', // 19
    '    ```', // 20
    '', // 21
    '=== "1. conda"', // 22
    '    Use conda instead.', // 23
    '', // 24
    'After the tabs.', // 25
    '',
    '```text',
    '!!! note "inside code"',
    '    stays code',
    '```',
  ].join('\n');

  it('keeps attribute lists and HTML comments out of headings, and reads admonitions and tabs as titled blocks', async () => {
    const doc = await new MarkdownLoader().load(fixture(source));
    const shape = doc.blocks.map((b) => [b.kind, b.text, b.provenance.lineStart]);
    expect(shape).toEqual([
      ['heading', 'Setup', 1],
      ['heading', 'Options', 3],
      ['paragraph', 'Note: Before you start', 7],
      ['paragraph', 'Install Python first.', 8],
      ['list', '- one step\n- another', 10],
      ['paragraph', 'Warning', 13],
      ['paragraph', 'Collapsible text.', 14],
      ['paragraph', 'pip', 16],
      ['code', 'pip install mkdocs', 18],
      ['paragraph', '1. conda', 22],
      ['paragraph', 'Use conda instead.', 23],
      ['paragraph', 'After the tabs.', 25],
      ['code', '!!! note "inside code"\n    stays code', 27],
    ]);
    expect(doc.blocks.find((b) => b.kind === 'code' && b.text.startsWith('pip'))).toMatchObject({ language: 'sh' });
  });
});
