import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  collectAll,
  fileSource,
  folderSource,
  type IngestProgress,
  isRejection,
  type SkipReason,
  type SourceItem,
} from '../src/index.js';
import { CORPORA } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'winnow-ingest-walk-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, content: string | Uint8Array): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), content);
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
write('guide.md', '# Guide\n\nHello.\n');
write('docs/notes.txt', 'Some notes.\n');
write('docs/deep/page.html', '<!doctype html><html><body><main><h1>Page</h1><p>Body text.</p></main></body></html>');
write('docs/deep/.hidden.md', '# Hidden\n');
write('node_modules/pkg/readme.md', '# Dependency readme\n');
write('.git/HEAD', 'ref: refs/heads/main\n');
write('big.txt', 'x'.repeat(40_000));
write('broken.txt', new Uint8Array([0x6f, 0x6b, 0x0a, 0xc3, 0x28]));
// UTF-8 (naïve) and then a broken sequence: damaged UTF-8, not a legacy encoding.
write('damaged.txt', new Uint8Array([...new TextEncoder().encode('naïve\n'), 0xc3, 0x28]));
write('picture.png', PNG);
write('empty.txt', '');
write('really-html.pdf', '<!DOCTYPE html>\n<html><body><article><p>I am a web page.</p></article></body></html>');
copyFileSync(join(CORPORA, 'pdf', 'crazyones-pdfa.pdf'), join(root, 'docs', 'crazyones.pdf'));
// A link back up the tree (a loop when followed) and one that points nowhere.
symlinkSync(root, join(root, 'docs', 'loop'));
symlinkSync(join(root, 'missing-target'), join(root, 'dangling.md'));

async function items(source: AsyncIterable<SourceItem>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('folderSource', () => {
  it('walks the tree with the default excludes, ids relative to the root', async () => {
    const skipped: Array<[string, SkipReason]> = [];
    const found = await items(folderSource(root, { onSkip: (path, reason) => skipped.push([path, reason]) }));
    const ids = found.map((item) => (isRejection(item) ? item.rejected.id : item.id)).sort();
    expect(ids).toEqual([
      'big.txt',
      'broken.txt',
      'damaged.txt',
      'docs/crazyones.pdf',
      'docs/deep/.hidden.md',
      'docs/deep/page.html',
      'docs/notes.txt',
      'empty.txt',
      'guide.md',
      'picture.png',
      'really-html.pdf',
    ]);
    expect(skipped.map(([, reason]) => reason).sort()).toEqual(['excluded', 'excluded', 'symlink', 'symlink']);
  });

  it('applies include and exclude globs', async () => {
    const found = await items(folderSource(root, { include: ['docs/**/*.{md,html}'], exclude: ['**/.*'] }));
    expect(found.map((item) => (isRejection(item) ? '' : item.id))).toEqual(['docs/deep/page.html']);
  });

  it('follows symbolic links without looping, and reports a dangling one', async () => {
    const skipped: SkipReason[] = [];
    const found = await items(folderSource(root, { followSymlinks: true, onSkip: (_p, r) => skipped.push(r) }));
    expect(skipped).toContain('symlink-loop');
    const rejections = found.filter(isRejection).map((r) => r.rejected);
    expect(rejections).toEqual([
      expect.objectContaining({
        id: 'dangling.md',
        code: 'E_FILE_NOT_FOUND',
        message: expect.stringContaining('dangling.md'),
      }),
    ]);
    expect(found.length).toBe(12);
  });

  it('loads what it can and reports every bad file by name and reason', async () => {
    const progress: IngestProgress[] = [];
    const { documents, failures } = await collectAll(folderSource(root, { maxFileBytes: 20_000 }), {
      onProgress: (p) => progress.push(p),
    });
    expect(documents.map((d) => d.id).sort()).toEqual([
      'broken.txt',
      'docs/crazyones.pdf',
      'docs/deep/.hidden.md',
      'docs/deep/page.html',
      'docs/notes.txt',
      'guide.md',
      'really-html.pdf',
    ]);
    const byId = Object.fromEntries(failures.map((f) => [f.id, f]));
    expect(byId['big.txt']).toMatchObject({
      code: 'E_FILE_TOO_LARGE',
      message: expect.stringMatching(/big\.txt.*40000 bytes.*20000/),
    });
    // Not UTF-8 and nothing valid in UTF-8 before the bad byte: read in the detected single-byte encoding.
    expect(documents.find((d) => d.id === 'broken.txt')?.text).toBe('ok\nÃ(');
    expect(byId['damaged.txt']).toMatchObject({
      code: 'E_ENCODING',
      message: expect.stringMatching(/damaged\.txt.*offset 7/),
    });
    expect(byId['picture.png']).toMatchObject({
      code: 'E_UNSUPPORTED_TYPE',
      message: expect.stringMatching(/picture\.png.*image\/png/),
    });
    expect(byId['empty.txt']).toMatchObject({ code: 'E_EMPTY_INPUT', message: expect.stringContaining('empty.txt') });
    expect(progress.at(-1)).toMatchObject({ seen: 11, loaded: 7, failed: 4 });
    const pdf = documents.find((d) => d.id === 'docs/crazyones.pdf');
    expect(pdf?.metadata).toMatchObject({ path: 'docs/crazyones.pdf', bytes: 16368 });
    expect(pdf?.contentHash).toBe('f05f2738a1fa8c1d2e1147881fe1a62516a7f8caaf784067790731f56df626c4');
  });

  it('loads a .pdf that is really HTML as HTML with a note, or rejects it when asked', async () => {
    const file = join(root, 'really-html.pdf');
    const loaded = await collectAll(fileSource(file));
    expect(loaded.documents[0]).toMatchObject({
      mediaType: 'text/html',
      metadata: { typeMismatch: 'named as application/pdf but the bytes are text/html; loaded as text/html' },
    });
    expect(loaded.documents[0]?.text).toBe('I am a web page.');
    const rejected = await collectAll(fileSource(file, { onTypeMismatch: 'reject' }));
    expect(rejected.failures).toEqual([
      expect.objectContaining({ code: 'E_TYPE_MISMATCH', message: expect.stringContaining('really-html.pdf') }),
    ]);
  });

  it('fails clearly for a missing root, and stops when aborted', async () => {
    await expect(items(folderSource(join(root, 'nope')))).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
    const controller = new AbortController();
    const source = folderSource(root, { signal: controller.signal });
    const seen: SourceItem[] = [];
    await expect(
      (async () => {
        for await (const item of source) {
          seen.push(item);
          controller.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(seen).toHaveLength(1);
  });

  it('gives a single file its name as id, or a path relative to a root', async () => {
    const [alone] = await items(fileSource(join(root, 'docs', 'notes.txt')));
    const [rooted] = await items(fileSource(join(root, 'docs', 'notes.txt'), { root }));
    expect(alone).toMatchObject({ id: 'notes.txt', mediaType: 'text/plain' });
    expect(rooted).toMatchObject({ id: 'docs/notes.txt' });
  });
});
