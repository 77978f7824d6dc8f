/**
 * The eval harness as one principal over a two-tenant copy of ADI (documents alternate between tenants through
 * their corpus metadata): every ranked document belongs to the principal's tenant, the other tenant's judged
 * documents count as missed, and a run without a principal is refused, as any retrieval is once access is on.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@winnow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Run, runEvaluation } from '../src/index.js';

const ADI = join(process.env.WINNOW_MODELS ?? '', '..', 'datasets', 'adi');
let work: string;
let dataset: string;
const tenantOf = new Map<string, string>();

// Lexical recall only: the principal's predicate is the same for every mode (the store's own tests cover them all).
const config = parseConfig({
  chunk: { split: false },
  recall: { mode: 'lexical', k: 20 },
  rerank: { provider: 'none' },
  access: { enabled: true },
});

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'winnow-harness-access-'));
  dataset = join(work, 'adi');
  await mkdir(join(dataset, 'qrels'), { recursive: true });
  const records = (await readFile(join(ADI, 'corpus.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line, i) => {
      const record = JSON.parse(line) as { _id: string; metadata?: Record<string, unknown> };
      const tenant = i % 2 === 0 ? 'even' : 'odd';
      tenantOf.set(record._id, tenant);
      return JSON.stringify({ ...record, metadata: { ...record.metadata, access: { tenant } } });
    });
  await writeFile(join(dataset, 'corpus.jsonl'), `${records.join('\n')}\n`);
  await writeFile(join(dataset, 'queries.jsonl'), await readFile(join(ADI, 'queries.jsonl')));
  await writeFile(join(dataset, 'qrels', 'test.tsv'), await readFile(join(ADI, 'qrels', 'test.tsv')));
}, 60_000);

/** Every document id ranked for any query. */
function rankedDocuments(run: Run | undefined): string[] {
  return [...(run ?? new Map()).values()].flatMap((scores) => [...scores.keys()]);
}

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the harness as a principal', () => {
  it('ranks only the principal’s documents, and scores below the same run over the whole corpus', async () => {
    const results = await runEvaluation({
      dataset,
      configurations: [{ name: 'lexical', config }],
      cacheDir: join(work, 'cache'),
      principal: { tenant: 'even', groups: [] },
    });
    const ranked = rankedDocuments(results.configurations[0]?.run);
    expect(ranked.length).toBeGreaterThan(100);
    expect(ranked.filter((id) => tenantOf.get(id) !== 'even')).toEqual([]);

    // The same configuration without access control sees both tenants: judged odd documents can be found again.
    const open = await runEvaluation({
      dataset,
      configurations: [{ name: 'lexical', config: { ...config, access: { ...config.access, enabled: false } } }],
      cacheDir: join(work, 'cache'),
    });
    const openRanked = rankedDocuments(open.configurations[0]?.run);
    expect(openRanked.some((id) => tenantOf.get(id) === 'odd')).toBe(true);
    expect(results.configurations[0]?.metrics['ndcg@10']).toBeLessThan(
      open.configurations[0]?.metrics['ndcg@10'] as number,
    );
  }, 300_000);

  it('refuses a run without a principal when the configuration has access control on', async () => {
    await expect(
      runEvaluation({ dataset, configurations: [{ name: 'lexical', config }], cacheDir: join(work, 'cache') }),
    ).rejects.toMatchObject({ code: 'E_PRINCIPAL_REQUIRED' });
  }, 300_000);
});
