/** Document ids and URIs do not depend on the path used to reach a file (issue 16, case 8). */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectAll, fileSource, folderSource, type SkippedEntry, skippedEntry } from '../src/index.js';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'winnow-canonical-'));
  mkdirSync(join(root, 'real', 'deep'), { recursive: true });
  writeFileSync(join(root, 'real', 'a.md'), '# A\n');
  writeFileSync(join(root, 'real', 'deep', 'b.md'), '# B\n');
  writeFileSync(join(root, 'top.md'), '# Top\n');
  // Named to sort, and so usually be listed, before `real`: the walk must not take its ids from the link.
  symlinkSync('real', join(root, 'aaa-link'));
  symlinkSync(join('real', 'a.md'), join(root, 'a-alias.md'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function walked(followSymlinks: boolean) {
  const skipped: SkippedEntry[] = [];
  const { documents } = await collectAll(
    folderSource(root, {
      followSymlinks,
      onSkip: (path, reason, detail) => skipped.push(skippedEntry(path, reason, detail)),
    }),
  );
  return { documents, skipped };
}

describe('ids by canonical location', () => {
  it('(a) a symlinked subfolder and a file link add no documents: each real file has one id, as without links', async () => {
    const without = await walked(false);
    const followed = await walked(true);
    const ids = (docs: typeof without.documents) => docs.map((doc) => doc.id).sort();
    expect(ids(without.documents)).toEqual(['real/a.md', 'real/deep/b.md', 'top.md']);
    expect(ids(followed.documents)).toEqual(ids(without.documents));
    expect(followed.documents.map((doc) => doc.uri).sort()).toEqual(without.documents.map((doc) => doc.uri).sort());
    expect(followed.skipped.map((entry) => [entry.path.slice(root.length + 1), entry.reason]).sort()).toEqual([
      ['a-alias.md', 'symlink-duplicate'],
      ['aaa-link', 'symlink-duplicate'],
    ]);
    expect(followed.skipped[0]?.why).toBe('a symbolic link to a file or folder already indexed under its own path');
  });

  it('(a) a folder reached only through a link gets the ids of its real location', async () => {
    const { documents } = await collectAll(folderSource(root, { followSymlinks: true, exclude: ['real/**'] }));
    // `real` is excluded, so its files come in through the link, under their own paths.
    expect(documents.map((doc) => [doc.id, doc.uri]).sort()).toEqual([
      ['real/a.md', pathToFileURL(join(root, 'real', 'a.md')).href],
      ['real/deep/b.md', pathToFileURL(join(root, 'real', 'deep', 'b.md')).href],
      ['top.md', pathToFileURL(join(root, 'top.md')).href],
    ]);
  });

  it('(b) one file of an indexed folder, by its own path or a link, keeps the id its URI has', async () => {
    const { documents: folder } = await collectAll(folderSource(root));
    const alone = await collectAll(fileSource(join(root, 'real', 'a.md'), { known: folder }));
    expect(alone.documents.map((doc) => [doc.id, doc.uri])).toEqual([
      ['real/a.md', pathToFileURL(join(root, 'real', 'a.md')).href],
    ]);
    const viaLink = await collectAll(fileSource(join(root, 'a-alias.md'), { known: folder }));
    expect(viaLink.documents.map((doc) => [doc.id, doc.uri])).toEqual([
      ['real/a.md', pathToFileURL(join(root, 'real', 'a.md')).href],
    ]);
    // Not in the collection: the name, as before.
    const fresh = await collectAll(fileSource(join(root, 'top.md'), { known: [] }));
    expect(fresh.documents.map((doc) => doc.id)).toEqual(['top.md']);
  });
});
