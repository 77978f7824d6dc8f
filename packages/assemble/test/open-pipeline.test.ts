/**
 * openPipeline with registered providers and stages (fakes of core's contracts, so no model loads): names from the
 * configuration reach user code, unknown names fail before anything opens, built-in settings stay strict.
 */
import { type CandidateStage, isWinnowError, parseConfig, type Reranker } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { fakeEmbedder, loadText, memoryStore, numberReranker, recalled, source } from '../../pipeline/test/fakes.js';
import { createRegistry, openPipeline, stagesFromConfig } from '../src/index.js';

/** A registry with an in-memory store, a fake embedder, a number reranker and a stage that keeps the first two. */
function fakes() {
  const opened: string[] = [];
  const store = memoryStore();
  store.search = async () => recalled(['passage 1', 'passage 3', 'passage 2']);
  const reranker = numberReranker();
  const registry = createRegistry()
    .embedder('fake', () => {
      opened.push('embedder');
      return fakeEmbedder();
    })
    .store('memory', (settings, context) => {
      opened.push(`store for ${context.embedder.modelId} (${JSON.stringify(settings.options)})`);
      return store;
    })
    .reranker('numbers', () => {
      opened.push('reranker');
      return reranker;
    })
    .stage(
      'keep-two',
      (options): CandidateStage => ({
        name: 'keep-two',
        run: async (_q, candidates) => candidates.slice(0, Number(options.count ?? 2)),
      }),
    );
  return { registry, opened, store, reranker };
}

const config = parseConfig({
  store: { driver: 'memory', options: { note: 'mine' } },
  embed: { provider: 'fake' },
  recall: { mode: 'lexical', k: 3 },
  rerank: { provider: 'numbers', k: 5, batchSize: 2 },
  // Reranker order only, so the expected order is the fake's numbers whatever the default share.
  fusion: { method: 'rerank' },
  retrieval: { stages: [{ use: 'rerank' }, { use: 'fuse' }, { use: 'keep-two', options: { count: 2 } }] },
});

describe('openPipeline with a registry', () => {
  it('builds registered providers and stages from the configuration, in the configured order', async () => {
    const { registry, opened, reranker } = fakes();
    const pipeline = await openPipeline(config, { registry });
    // The reranker loads at the first query, not at open.
    expect(opened).toEqual(['embedder', 'store for fake-embedder ({"note":"mine"})']);
    const result = await pipeline.retriever.retrieve('question');
    expect(opened).toContain('reranker');
    expect(reranker.calls).toEqual([['passage 1', 'passage 3'], ['passage 2']]);
    expect(result.candidates.map((c) => c.chunk.text)).toEqual(['passage 3', 'passage 2']);
    expect(Object.keys(result.timings.stagesMs ?? {})).toEqual(['rerank', 'fuse', 'keep-two']);
    await pipeline.close();
  });

  it('indexes without deleting what the source does not name', async () => {
    const { registry, store } = fakes();
    const pipeline = await openPipeline(
      { ...config, rerank: { ...config.rerank, provider: 'none' }, retrieval: {} },
      { registry, loaders: loadText },
    );
    // The chunker for a registered embedder falls back to the approximate token counter.
    const first = await pipeline.indexer.run([
      source('a.md', 'alpha'),
      source('b.md', 'beta'),
      source('c.md', 'gamma'),
    ]);
    expect(first.added).toHaveLength(3);
    const second = await pipeline.indexer.run([source('a.md', 'alpha again')]);
    expect(second).toMatchObject({ changed: ['a.md'], deleted: [] });
    expect(store.documents.size).toBe(3);
    await pipeline.close();
  });

  it('fails before opening anything when a name is neither built in nor registered', async () => {
    const { registry, opened } = fakes();
    const typo = { ...config, retrieval: { stages: [{ use: 'keep-tow', options: {} }] } };
    const error = await openPipeline(typo, { registry }).catch((e: unknown) => e);
    expect(isWinnowError(error, 'E_CONFIG_INVALID')).toBe(true);
    expect(error).toMatchObject({ field: 'retrieval.stages.0.use' });
    expect((error as Error).message).toContain('"keep-tow" is neither built in (dedupe, rerank, fuse, mmr');
    expect((error as Error).message).toContain('nor registered (keep-two)');
    expect(opened).toEqual([]);
  });

  it('a rerank stage without a reranker is a configuration error naming the stage', async () => {
    const { registry } = fakes();
    const none = { ...config, rerank: { ...config.rerank, provider: 'none' } };
    const context = { config: none, baseDir: '.', reranker: undefined as Reranker | undefined, generator: undefined };
    await expect(stagesFromConfig(none, context, { registry })).rejects.toMatchObject({
      code: 'E_CONFIG_INVALID',
      field: 'retrieval.stages.0',
    });
  });

  it('refuses to register a built-in name', () => {
    expect(() => createRegistry().reranker('transformers', () => numberReranker())).toThrow(/built in/);
  });
});

describe('the schema stays strict for built-in names', () => {
  it('checks built-in stage options and rejects `options` on built-in providers', () => {
    const stage = (() => {
      try {
        parseConfig({ retrieval: { stages: [{ use: 'mmr', options: { lambda: 2 } }] } }, 'winnow.config.yaml');
      } catch (error) {
        return error;
      }
    })();
    expect(stage).toMatchObject({ code: 'E_CONFIG_INVALID', field: 'retrieval.stages.0.options.lambda' });
    expect(() => parseConfig({ retrieval: { stages: [{ use: 'dedupe', options: { minOverlpa: 0.5 } }] } })).toThrow(
      /retrieval\.stages\.0\.options/,
    );
    expect(() => parseConfig({ rerank: { provider: 'http', options: { x: 1 } } })).toThrow(/rerank\.options/);
    expect(() => parseConfig({ rerank: { provider: 'Bad Name' } })).toThrow(/rerank\.provider/);
    expect(() => parseConfig({ rerank: { provider: 'none' }, retrieval: { stages: [{ use: 'rerank' }] } })).toThrow(
      /retrieval\.stages\.0\.use.*needs a reranker|needs a reranker/,
    );
    // A registered name takes any options; they reach its factory unchecked.
    expect(parseConfig({ rerank: { provider: 'mine', options: { x: 1 } } }).rerank.options).toEqual({ x: 1 });
  });
});
