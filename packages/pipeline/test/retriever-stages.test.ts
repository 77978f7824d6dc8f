/** Retrieval as recall plus ordered stages, with fakes of the contracts: order, timings, abort, failures. */
import {
  type Candidate,
  type CandidateStage,
  type Generator,
  isWinnowError,
  type Reranker,
  WinnowError,
} from '@winnow/core';
import { describe, expect, it } from 'vitest';
import {
  createRetriever,
  dedupeStage,
  defaultStages,
  fuseStage,
  metadataBoostStage,
  mmrStage,
  multiQueryExpansion,
  rerankStage,
} from '../src/index.js';
import { chunk, numberReranker, recalled, searchOnlyStore } from './fakes.js';

const ids = (candidates: readonly Candidate[]) => candidates.map((c) => c.chunk.id);

/** A stage that records its name (and the ids it saw) and reverses the candidates. */
function reversing(name: string, log: string[]): CandidateStage {
  return {
    name,
    async run(_query, candidates, context) {
      log.push(`${name}:${ids(candidates).join(',')}`);
      context.recordTiming(`${name}.inner`, 1.5);
      return [...candidates].reverse();
    },
  };
}

describe('createRetriever with stages', () => {
  it('runs the default stages in order: dedupe, rerank, fuse', async () => {
    const { store } = searchOnlyStore(() => recalled(['passage 1', 'passage 1', 'passage 3', 'passage 2']));
    const reranker = numberReranker();
    const stages = defaultStages({ reranker, rerank: { batchSize: 2 } });
    expect(stages.map((s) => s.name)).toEqual(['dedupe', 'rerank', 'fuse']);
    const retriever = createRetriever({
      store,
      recall: { mode: 'lexical', k: 4 },
      reranker,
      rerank: { k: 3, batchSize: 2 },
      // Reranker order only (the fake's numbers), so the expected order does not hang on the default share.
      fusion: { method: 'rerank' },
    });
    const result = await retriever.retrieve('question');
    // The duplicate text is gone before reranking; two batches of two passages, then one of one.
    expect(reranker.calls).toEqual([['passage 1', 'passage 3'], ['passage 2']]);
    expect(ids(result.candidates)).toEqual(['c3', 'c4', 'c1']);
    expect(result.recalled).toBe(4);
    expect(Object.keys(result.timings.stagesMs ?? {})).toEqual(['dedupe', 'rerank', 'fuse']);
    for (const key of ['dedupeMs', 'rerankMs', 'fuseMs', 'recallMs', 'totalMs'] as const) {
      expect(result.timings[key]).toBeGreaterThanOrEqual(0);
    }
  });

  it('runs custom stages in the given order, each on the previous one’s output, and times each', async () => {
    const { store } = searchOnlyStore(() => recalled(['a 1', 'b 2', 'c 3']));
    const log: string[] = [];
    const retriever = createRetriever({
      store,
      recall: { mode: 'lexical', k: 3 },
      stages: [reversing('first', log), reversing('second', log), reversing('third', log)],
      k: 3,
    });
    const result = await retriever.retrieve('q');
    expect(log).toEqual(['first:c1,c2,c3', 'second:c3,c2,c1', 'third:c1,c2,c3']);
    expect(ids(result.candidates)).toEqual(['c3', 'c2', 'c1']);
    expect(result.timings.stagesMs).toMatchObject({ 'first.inner': 1.5, 'second.inner': 1.5, 'third.inner': 1.5 });
    expect(Object.keys(result.timings.stagesMs ?? {})).toEqual(expect.arrayContaining(['first', 'second', 'third']));
  });

  it('passes the recall settings to the store as configured, once', async () => {
    const { store, requests } = searchOnlyStore(() => recalled(['x 1']));
    const filter = { field: 'documentId', op: 'eq', value: 'doc-c1' } as const;
    const retriever = createRetriever({
      store,
      recall: { mode: 'lexical', k: 7, rrfK: 30, lexicalWeight: 2, exact: true, filter, lexicalSyntax: 'websearch' },
    });
    await retriever.retrieve('  q  ');
    expect(requests).toEqual([
      expect.objectContaining({
        mode: 'lexical',
        k: 7,
        rrfK: 30,
        lexicalWeight: 2,
        exact: true,
        text: 'q',
        filter,
        lexicalSyntax: 'websearch',
      }),
    ]);
  });

  it('stops between stages when aborted, with E_ABORTED', async () => {
    const { store } = searchOnlyStore(() => recalled(['a 1', 'b 2']));
    const controller = new AbortController();
    const ran: string[] = [];
    const abortingStage: CandidateStage = {
      name: 'aborts',
      async run(_q, candidates) {
        ran.push('aborts');
        controller.abort();
        return [...candidates];
      },
    };
    const later: CandidateStage = {
      name: 'later',
      async run(_q, candidates) {
        ran.push('later');
        return [...candidates];
      },
    };
    const retriever = createRetriever({ store, recall: { mode: 'lexical' }, stages: [abortingStage, later] });
    await expect(retriever.retrieve('q', { signal: controller.signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(ran).toEqual(['aborts']);
  });

  it('reports a stage that throws as E_STAGE_FAILED naming it; WinnowErrors pass unchanged', async () => {
    const { store } = searchOnlyStore(() => recalled(['a 1']));
    const broken: CandidateStage = {
      name: 'boost-recent',
      run: async () => {
        throw new TypeError('cannot read date');
      },
    };
    const retriever = createRetriever({ store, recall: { mode: 'lexical' }, stages: [broken] });
    const error = await retriever.retrieve('q').catch((e: unknown) => e);
    expect(isWinnowError(error, 'E_STAGE_FAILED')).toBe(true);
    expect((error as WinnowError).message).toContain('stage boost-recent failed: cannot read date');
    expect((error as WinnowError).setting).toBe('stage boost-recent');

    const specific: CandidateStage = {
      name: 'strict',
      run: async () => {
        throw new WinnowError('E_FILTER_INVALID', 'bad filter');
      },
    };
    const strict = createRetriever({ store, recall: { mode: 'lexical' }, stages: [specific] });
    await expect(strict.retrieve('q')).rejects.toMatchObject({ code: 'E_FILTER_INVALID' });
  });

  it('fails with E_RERANK_FAILED when the reranker returns the wrong number of scores', async () => {
    const { store } = searchOnlyStore(() => recalled(['a 1', 'b 2', 'c 3']));
    const short: Reranker = { modelId: 'short', score: async (_q, passages) => passages.slice(1).map(() => 1) };
    const retriever = createRetriever({ store, recall: { mode: 'lexical' }, reranker: short });
    const error = await retriever.retrieve('q').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_RERANK_FAILED', setting: 'short' });
    expect((error as Error).message).toContain('reranker returned 2 scores for 3 passages');
  });

  it('rejects two stages of one name (their timings would collide)', () => {
    const { store } = searchOnlyStore(() => []);
    expect(() =>
      createRetriever({ store, recall: { mode: 'lexical' }, stages: [dedupeStage(), dedupeStage()] }),
    ).toThrow(/two stages are named dedupe/);
  });

  it('recalls once per transformed query and fuses the lists by reciprocal rank', async () => {
    const lists: Record<string, string[]> = { original: ['x 1', 'y 2'], rewrite: ['y 2', 'z 3'] };
    const { store, requests } = searchOnlyStore((request) =>
      (lists[request.text ?? ''] ?? []).map((text, i) => ({
        chunk: chunk(text, text, `doc ${text}`),
        scores: { lexical: 10 - i },
        ranks: { lexical: i + 1 },
      })),
    );
    const generator: Generator = {
      model: 'fake',
      generate: async () => ({ text: '1. rewrite\n' }),
      stream: async function* () {},
    };
    const retriever = createRetriever({
      store,
      recall: { mode: 'lexical', k: 3 },
      queryTransform: multiQueryExpansion(generator, { queries: 1 }),
      k: 3,
    });
    const result = await retriever.retrieve('original');
    expect(requests.map((r) => r.text)).toEqual(['original', 'rewrite']);
    // y is in both lists: first; x (rank 1 of one list) before z (rank 2 of the other).
    expect(ids(result.candidates)).toEqual(['y 2', 'x 1', 'z 3']);
    expect(result.candidates[0]?.scores.lexical).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(result.timings.stagesMs?.['multi-query']).toBeGreaterThanOrEqual(0);
  });
});

describe('built-in stages', () => {
  const context = { recallMode: 'lexical' as const, recordTiming: () => {} };

  it('rerank scores only the first `depth` candidates, best first, the rest after them as they came', async () => {
    const reranker = numberReranker();
    const stage = rerankStage(reranker, { depth: 2, batchSize: 16 });
    const out = await stage.run('q', recalled(['a 1', 'b 2', 'c 3']), context);
    expect(ids(out)).toEqual(['c2', 'c1', 'c3']);
    expect(out.map((c) => c.ranks.rerank)).toEqual([1, 2, undefined]);
  });

  it('mmr pushes a near-copy of a better candidate down', async () => {
    const fused = await fuseStage().run(
      'q',
      recalled(['pnpm store prune removes packages', 'pnpm store prune removes packages now', 'docker fetch lockfile']),
      context,
    );
    const out = await mmrStage({ lambda: 0.5 }).run('q', fused, context);
    expect(ids(out)).toEqual(['c1', 'c3', 'c2']);
    expect(out.map((c) => c.ranks.final)).toEqual([1, 2, 3]);
    const relevanceOnly = await mmrStage({ lambda: 1 }).run('q', fused, context);
    expect(ids(relevanceOnly)).toEqual(['c1', 'c2', 'c3']);
  });

  it('metadata-boost adds to the final score of matching candidates and re-sorts', async () => {
    const fused = await fuseStage().run('q', recalled(['a 1', 'b 2', 'c 3']), context);
    const tagged = fused.map((c, i) => ({
      ...c,
      chunk: { ...c.chunk, metadata: i === 2 ? { lang: 'en' } : { lang: 'de' } },
    }));
    const out = await metadataBoostStage({ boosts: [{ key: 'lang', equals: 'en', add: 5 }] }).run('q', tagged, context);
    expect(ids(out)).toEqual(['c3', 'c1', 'c2']);
    expect(out[0]?.scores.final).toBe(1 + 5);
    expect(out.map((c) => c.ranks.final)).toEqual([1, 2, 3]);
  });
});
