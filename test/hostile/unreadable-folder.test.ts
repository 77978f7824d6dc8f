/**
 * Issue 16, case 1: a reindex (deleteMissing) over a tree with a subfolder it may not read must keep the documents
 * under that folder (unknown, not gone) and name the folder in the report. Permissions only bite a process without
 * root's capability to override them: as root, each run goes to a child process with CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH dropped (setpriv), so it stays root (and can read the checkout wherever CI clones it) but
 * obeys file modes like any user; otherwise the child runs as we are.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunReport } from '@winnow/pipeline';
import { afterEach, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');
const CHILD = join(REPO, 'test', 'fixtures', 'unreadable-folder-child.ts');
const TSX = join(REPO, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
const asRoot = process.getuid?.() === 0;

function runChild(home: string, args: string[]): { report: RunReport; stored: string[] } {
  const node = [process.execPath, '--conditions=source', '--import', TSX, CHILD, ...args];
  const command = asRoot ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', ...node] : node;
  const result = spawnSync(command[0] as string, command.slice(1), {
    cwd: REPO,
    // tsx and PGlite write caches under HOME / TMPDIR: point both where the child may write.
    env: { ...process.env, HOME: home, TMPDIR: home },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const line = result.stdout.split('\n').find((l) => l.startsWith('result '));
  if (result.status !== 0 || line === undefined) {
    throw new Error(`child failed (${result.status} ${result.signal}): ${result.stderr}\n${result.stdout}`);
  }
  return JSON.parse(line.slice('result '.length));
}

let unreadable: string | undefined;
afterEach(async () => {
  // Let the temp folder be cleaned up by whoever runs the tests next.
  if (unreadable) await chmod(unreadable, 0o755).catch(() => {});
});

describe('reindex with an unreadable subfolder', () => {
  it('keeps the documents under it and names the folder in the report', async () => {
    const base = await mkdtemp(join(tmpdir(), 'winnow-hostile-'));
    const tree = join(base, 'tree');
    const sub = join(tree, 'private');
    await mkdir(join(sub, 'deeper'), { recursive: true });
    await writeFile(join(tree, 'top.md'), '# Top\n\nVisible at the top.\n');
    await writeFile(join(tree, 'gone.md'), '# Gone\n\nRemoved before the reindex.\n');
    await writeFile(join(sub, 'a.md'), '# A\n\nInside the private folder.\n');
    await writeFile(join(sub, 'b.md'), '# B\n\nAlso inside the private folder.\n');
    await writeFile(join(sub, 'deeper', 'c.md'), '# C\n\nDeeper inside.\n');
    const home = join(base, 'home');
    await mkdir(home);
    const db = join(base, 'db');

    const first = runChild(home, [db, tree, '--delete-missing']);
    expect(first.report.failures).toEqual([]);
    expect(first.stored).toEqual(['gone.md', 'private/a.md', 'private/b.md', 'private/deeper/c.md', 'top.md']);

    await rm(join(tree, 'gone.md'));
    await chmod(sub, 0o000);
    unreadable = sub;

    const second = runChild(home, [db, tree, '--delete-missing']);
    // The documents under the unreadable folder are still stored, and only what is really gone was deleted.
    expect(second.stored).toEqual(['private/a.md', 'private/b.md', 'private/deeper/c.md', 'top.md']);
    expect(second.report.deleted).toEqual(['gone.md']);
    expect(second.report).toMatchObject({ added: [], changed: [], unchanged: 1 });
    expect(second.report.chunks.embedded).toBe(0);
    const folderUri = pathToFileURL(sub).href;
    expect(second.report.failures).toEqual([
      { id: 'private', uri: folderUri, code: 'E_PERMISSION', message: expect.stringContaining(sub) },
    ]);
    expect(second.report.unknown.folders).toEqual([folderUri]);
    expect(second.report.unknown.kept.sort()).toEqual(['private/a.md', 'private/b.md', 'private/deeper/c.md']);
  });
});
