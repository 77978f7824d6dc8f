import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@winnow/core';
import { afterAll, describe, expect, it } from 'vitest';
import { collectAll, folderSource, type SkippedEntry, skippedEntry } from '../src/index.js';
import { fsError } from '../src/sources/walk.js';

const base = mkdtempSync(join(tmpdir(), 'winnow-ingest-errors-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const root = join(base, 'root');
const outside = join(base, 'outside');
mkdirSync(join(root, 'sub'), { recursive: true });
mkdirSync(outside);
writeFileSync(join(root, 'ok.txt'), 'fine\n');
// "caf\xe9.txt": a Latin-1 file name, not valid UTF-8.
writeFileSync(Buffer.concat([Buffer.from(`${root}/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]), 'bad name\n');
writeFileSync(join(outside, 'secret.txt'), 'outside the root\n');
symlinkSync(join(outside, 'secret.txt'), join(root, 'to-outside.txt'));
symlinkSync(root, join(root, 'sub', 'loop'));
symlinkSync(join(root, 'nowhere.txt'), join(root, 'dangling.txt'));
symlinkSync('ok.txt', join(root, 'alias.txt'));

describe('file errors and skips', () => {
  it('reports an undecodable file name as E_FILE_NAME with its bytes escaped, once', async () => {
    const { failures } = await collectAll(folderSource(root));
    expect(failures).toEqual([
      expect.objectContaining({
        id: 'caf\\xe9.txt',
        code: 'E_FILE_NAME',
        message: expect.stringMatching(/caf\\xe9\.txt: the name is not valid UTF-8/),
      }),
    ]);
  });

  it('lists every skipped link with why, when links are not followed', async () => {
    const skipped: SkippedEntry[] = [];
    await collectAll(
      folderSource(root, { onSkip: (path, reason, detail) => skipped.push(skippedEntry(path, reason, detail)) }),
    );
    const byName = Object.fromEntries(skipped.map((entry) => [entry.path.slice(root.length + 1), entry]));
    expect(Object.keys(byName).sort()).toEqual(['alias.txt', 'dangling.txt', 'sub/loop', 'to-outside.txt']);
    expect(byName['alias.txt']).toEqual({
      path: join(root, 'alias.txt'),
      reason: 'symlink',
      target: 'ok.txt',
      why: 'a symbolic link, not followed (ingest.followSymlinks is off)',
    });
  });

  it('when following links: skips loops and links out of the root with why, fails a dangling link once', async () => {
    const skipped: SkippedEntry[] = [];
    const config = parseConfig({ ingest: { followSymlinks: true } });
    const { documents, failures } = await collectAll(
      folderSource(root, {
        ...config.ingest,
        onSkip: (path, reason, detail) => skipped.push(skippedEntry(path, reason, detail)),
      }),
    );
    // alias.txt is ok.txt reached again: one document, the link reported (issue 16, case 8).
    expect(documents.map((doc) => doc.id).sort()).toEqual(['ok.txt']);
    expect(skipped.map((entry) => [entry.path.slice(root.length + 1), entry.reason]).sort()).toEqual([
      ['alias.txt', 'symlink-duplicate'],
      ['sub/loop', 'symlink-loop'],
      ['to-outside.txt', 'symlink-outside-root'],
    ]);
    expect(skipped.find((entry) => entry.reason === 'symlink-outside-root')?.target).toBe(join(outside, 'secret.txt'));
    expect(failures.map((failure) => [failure.id, failure.code]).sort()).toEqual([
      ['caf\\xe9.txt', 'E_FILE_NAME'],
      ['dangling.txt', 'E_FILE_NOT_FOUND'],
    ]);
  });

  it('names permission errors E_PERMISSION, other errors E_FILE_NOT_FOUND, with the errno', () => {
    // The tests run as root, for whom permissions never fail: the errors are shaped as Node raises them.
    const denied = Object.assign(new Error("EACCES: permission denied, open '/x/locked.txt'"), { code: 'EACCES' });
    expect(fsError(denied, '/x/locked.txt', 'cannot be read')).toMatchObject({
      code: 'E_PERMISSION',
      message: expect.stringMatching(/\/x\/locked\.txt: cannot be read: permission denied \(EACCES\)/),
    });
    const gone = Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    expect(fsError(gone, '/x/gone.txt', 'cannot be read').code).toBe('E_FILE_NOT_FOUND');
  });
});
