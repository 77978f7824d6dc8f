/**
 * Long Markdown is parsed on a worker thread that the document's budget can stop: the parse gives the same tree as
 * on the main thread, and a file on which the parser is superlinear fails at its budget instead of holding the run.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SourceDocument, withinBudget } from '@winnow/core';
import remarkFrontmatter from 'remark-frontmatter';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { describe, expect, it } from 'vitest';
import { MarkdownLoader } from '../src/loaders/markdown.js';
import { OFF_THREAD_CHARS, parseMarkdown } from '../src/loaders/markdown-parse.js';

const SETTINGS_MD = join(process.env.WINNOW_MODELS ?? '', '..', 'corpora', 'markdown-versions', 'new', 'settings.md');

function source(uri: string, text: string): SourceDocument {
  return {
    id: uri,
    uri,
    mediaType: 'text/markdown',
    bytes: new TextEncoder().encode(text),
    metadata: {},
    contentHash: uri,
  };
}

/** A list per paragraph: micromark's slow shape (94 KB took 7–11 s on this machine). */
function slowShape(items: number): string {
  return Array.from({ length: items }, (_, i) => `- item ${i}\n\npara ${i}\n`).join('\n');
}

describe('Markdown parsing off the main thread', () => {
  it('gives the same tree as the main-thread parser for a real 40 KB+ document', async () => {
    const text = await readFile(SETTINGS_MD, 'utf8');
    expect(text.length).toBeGreaterThan(OFF_THREAD_CHARS);
    const mainThread = unified().use(remarkParse).use(remarkGfm).use(remarkFrontmatter, ['yaml']).parse(text);
    expect(await parseMarkdown(text)).toEqual(JSON.parse(JSON.stringify(mainThread)));
  });

  it('stops a slow parse at the document budget (E_TIMEOUT naming the file), then parses the next file', async () => {
    const loader = new MarkdownLoader();
    const slow = source('slow.md', slowShape(8000));
    expect(slow.bytes?.length).toBeGreaterThan(180_000);
    // The parse takes well over 10 s; a budget of 1 s can fire only because the main thread stays free.
    await expect(
      withinBudget(1000, { file: slow.uri }, (signal) => loader.load(slow, { signal })),
    ).rejects.toMatchObject({ code: 'E_TIMEOUT', file: 'slow.md' });
    // The stopped worker is replaced: the next long document loads.
    const next = await loader.load(source('next.md', `# Next\n\n${'A sentence of text. '.repeat(2000)}\n`));
    expect(next.title).toBe('Next');
  }, 60_000);

  it('refuses at once when the signal has already fired', async () => {
    await expect(parseMarkdown('x'.repeat(OFF_THREAD_CHARS), AbortSignal.abort())).rejects.toMatchObject({
      code: 'E_ABORTED',
    });
  });
});
