/**
 * Issue 16, access control at ingestion and around retrieval: documents get their access list from front matter or
 * from config rules by path (a changed rule re-indexes the documents it touches), a malformed list fails its
 * document, and what surrounds the store keeps principals apart — the rerank score cache, the LangChain adapters,
 * the CLI's --tenant/--groups.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRegistry, openPipeline } from '@winnow/assemble';
import {
  type Chunk,
  type Chunker,
  chunkId,
  type Embedder,
  isWinnowError,
  type PipelineConfig,
  type Principal,
  parseConfig,
  type Reranker,
  type Retriever,
  textHash,
} from '@winnow/core';
import { accessAssigner, defaultLoaders, folderSource } from '@winnow/ingest';
import { WinnowReranker, WinnowRetriever } from '@winnow/langchain';
import { openPgVectorStore, type PgVectorStore } from '@winnow/pgvector';
import { createIndexer } from '@winnow/pipeline';
import { createCachedReranker } from '@winnow/rerank';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalFrom } from '../../packages/cli/src/principal.js';

const DIMENSIONS = 4;
const embedder: Embedder = {
  modelId: 'access-ingest-test',
  dimensions: DIMENSIONS,
  maxTokens: 512,
  async embed(texts) {
    return { vectors: texts.map((t) => Float32Array.from([1, t.length % 5, 1, 2])), truncated: [], tokens: 0 };
  },
};

/** One chunk per document: the access list is the document's, whatever the chunking. */
const chunker: Chunker = {
  async chunk(document) {
    const hash = textHash(document.text);
    const chunk: Chunk = {
      id: chunkId(document.id, 0, hash),
      documentId: document.id,
      ordinal: 0,
      text: document.text,
      headingPath: [],
      tokenCount: 5,
      provenance: { charStart: 0, charEnd: document.text.length },
      metadata: {},
      hash,
    };
    return [chunk];
  },
};

const FILES: Record<string, string> = {
  'acme/hr/pay.md': '# Pay\n\nsalary bands for the year',
  'acme/wiki.md': '# Wiki\n\nsalary review calendar',
  'globex/plan.md': '---\naccess:\n  tenant: globex\n  groups: [exec]\n---\n# Plan\n\nsalary freeze plan',
  'globex/notes.txt': 'salary notes for everyone at globex',
  // Front matter wins over the rule for its folder.
  'acme/shared.md': '---\naccess: initech\n---\n# Shared\n\nsalary survey shared with initech',
  'stray.md': '# Stray\n\nsalary rumours nobody may read',
  'acme/bad.md': '---\naccess:\n  tenant: acme\n  groups: hr\n---\n# Bad\n\nsalary list with a typo in its access',
};

function accessConfig(hrGroups: string[]): PipelineConfig['access'] {
  return parseConfig({
    access: {
      enabled: true,
      rules: [
        { path: 'acme/hr/**', tenant: 'acme', groups: hrGroups },
        { path: 'acme/**', tenant: 'acme' },
        { path: 'globex/**', tenant: 'globex' },
      ],
    },
  }).access;
}

describe('access lists at ingestion', () => {
  let dir: string;
  let store: PgVectorStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'winnow-access-ingest-'));
    for (const [path, text] of Object.entries(FILES)) {
      await mkdir(dirname(join(dir, 'docs', path)), { recursive: true });
      await writeFile(join(dir, 'docs', path), text);
    }
    store = await openPgVectorStore({
      path: join(dir, 'db'),
      modelId: embedder.modelId,
      dimensions: DIMENSIONS,
      accessControl: true,
    });
  });

  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function index(hrGroups: string[]) {
    const access = accessAssigner(accessConfig(hrGroups));
    const indexer = createIndexer({ loaders: access.loaders(defaultLoaders()), chunker, embedder, store });
    return indexer.run(access.source(folderSource(join(dir, 'docs'))), { deleteMissing: true });
  }

  async function seen(principal: Principal): Promise<string[]> {
    const hits = await store.search({ mode: 'lexical', k: 100, text: 'salary', principal });
    return hits.map((hit) => hit.chunk.documentId).sort();
  }

  it('front matter, else the first matching rule; none is nobody; a malformed list fails its document', async () => {
    const report = await index(['hr']);
    expect(report.failures.map((f) => [f.id, f.code])).toEqual([['acme/bad.md', 'E_ACCESS_INVALID']]);
    expect(await seen({ tenant: 'acme', groups: [] })).toEqual(['acme/wiki.md']);
    expect(await seen({ tenant: 'acme', groups: ['hr'] })).toEqual(['acme/hr/pay.md', 'acme/wiki.md']);
    expect(await seen({ tenant: 'globex', groups: [] })).toEqual(['globex/notes.txt']);
    expect(await seen({ tenant: 'globex', groups: ['exec'] })).toEqual(['globex/notes.txt', 'globex/plan.md']);
    expect(await seen({ tenant: 'initech', groups: [] })).toEqual(['acme/shared.md']);
    // stray.md is indexed, but no principal sees it.
    expect((await store.listDocuments()).map((d) => d.id)).toContain('stray.md');
  });

  it('a changed rule re-indexes the documents it covers, and their access follows', async () => {
    const report = await index(['payroll']);
    expect(report.changed).toEqual(['acme/hr/pay.md']);
    expect(await seen({ tenant: 'acme', groups: ['hr'] })).toEqual(['acme/wiki.md']);
    expect(await seen({ tenant: 'acme', groups: ['payroll'] })).toEqual(['acme/hr/pay.md', 'acme/wiki.md']);
  });
});

describe('access control through openPipeline (config to store)', () => {
  it('indexes with the configured rules and retrieves only what each principal may see', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'winnow-access-pipeline-'));
    try {
      for (const [path, text] of Object.entries(FILES)) {
        await mkdir(dirname(join(dir, 'docs', path)), { recursive: true });
        await writeFile(join(dir, 'docs', path), text);
      }
      const config = parseConfig({
        store: { driver: 'pglite', path: join(dir, 'db') },
        embed: { provider: 'fake' },
        recall: { mode: 'lexical', k: 20 },
        rerank: { provider: 'none', k: 20 },
        access: accessConfig(['hr']),
      });
      const pipeline = await openPipeline(config, {
        registry: createRegistry().embedder('fake', () => embedder),
      });
      try {
        const report = await pipeline.indexer.run(folderSource(join(dir, 'docs')));
        expect(report.failures.map((f) => f.code)).toEqual(['E_ACCESS_INVALID']);
        const seen = async (principal: Principal) =>
          (await pipeline.retriever.retrieve('salary', { principal })).candidates.map((c) => c.chunk.documentId).sort();
        expect(await seen({ tenant: 'acme', groups: ['hr'] })).toEqual(['acme/hr/pay.md', 'acme/wiki.md']);
        expect(await seen({ tenant: 'globex', groups: [] })).toEqual(['globex/notes.txt']);
        let caught: unknown;
        try {
          await pipeline.retriever.retrieve('salary');
        } catch (error) {
          caught = error;
        }
        expect(isWinnowError(caught) && caught.code).toBe('E_PRINCIPAL_REQUIRED');
      } finally {
        await pipeline.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('principals around the store', () => {
  it('the rerank score cache keeps each principal apart', async () => {
    let computed = 0;
    const model: Reranker = {
      modelId: 'count',
      async score(_query, passages) {
        computed += passages.length;
        return passages.map((p) => p.length);
      },
    };
    const cached = createCachedReranker(model);
    const acme = { tenant: 'acme', groups: ['hr'] };
    await cached.score('q', ['a passage'], { principal: acme });
    await cached.score('q', ['a passage'], { principal: { tenant: 'acme', groups: ['hr'] } });
    expect(computed).toBe(1);
    await cached.score('q', ['a passage'], { principal: { tenant: 'globex', groups: ['hr'] } });
    await cached.score('q', ['a passage'], { principal: { tenant: 'acme', groups: [] } });
    await cached.score('q', ['a passage']);
    expect(computed).toBe(4);
  });

  it('the LangChain retriever and compressor pass their principal on', async () => {
    const asked: unknown[] = [];
    const retriever: Retriever = {
      async retrieve(query, options) {
        asked.push(options?.principal);
        return { query, candidates: [], recalled: 0, timings: { totalMs: 0, stagesMs: {} } };
      },
    };
    const principal = { tenant: 'acme', groups: ['eng'] };
    await new WinnowRetriever({ retriever, principal }).invoke('salary');
    expect(asked).toEqual([principal]);

    const principals: unknown[] = [];
    const reranker: Reranker = {
      modelId: 'seen',
      async score(_query, passages, options) {
        principals.push((options as { principal?: unknown } | undefined)?.principal);
        return passages.map(() => 1);
      },
    };
    await new WinnowReranker({ reranker, principal }).compressDocuments(
      [{ pageContent: 'text', metadata: {} }],
      'salary',
    );
    expect(principals).toEqual([principal]);
  });

  it('the CLI builds the principal from --tenant and --groups', () => {
    expect(principalFrom({})).toBeUndefined();
    expect(principalFrom({ tenant: 'acme', groups: 'hr, eng,,' })).toEqual({ tenant: 'acme', groups: ['eng', 'hr'] });
    for (const bad of [{ groups: 'hr' }, { tenant: '' }, { tenant: 'a\u0000b' }]) {
      let caught: unknown;
      try {
        principalFrom(bad);
      } catch (error) {
        caught = error;
      }
      expect(isWinnowError(caught) && caught.code).toBe('E_PRINCIPAL_INVALID');
    }
  });
});
