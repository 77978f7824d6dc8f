import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyEnvironment, loadConfigFile, parseConfig, WinnowError } from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'winnow-config-'));
});

async function expectConfigError(promise: Promise<unknown>): Promise<WinnowError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WinnowError);
  return error as WinnowError;
}

describe('parseConfig', () => {
  it('fills every default from an empty object', () => {
    const config = parseConfig({});
    expect(config.store.driver).toBe('pglite');
    expect(config.store.path).toBe('.winnow/db');
    expect(config.recall).toMatchObject({ mode: 'hybrid', k: 50 });
    // Two stages by default: the pretrained MS MARCO cross-encoder scores the best `depth` recalled candidates.
    expect(config.rerank).toMatchObject({ provider: 'transformers', model: 'ms-marco-MiniLM-L-12-v2', k: 5 });
    expect(config.rerank.depth).toBeLessThanOrEqual(config.recall.k);
    expect(config.chunk.targetTokens).toBeLessThanOrEqual(config.chunk.maxTokens);
    // Recall evidence always counts in the default order: z-scored interpolation with the reranker's share < 1.
    expect(config.fusion).toMatchObject({ method: 'interpolate', normalize: 'zscore' });
    expect(config.fusion.weight).toBeLessThan(1);
  });

  it('keeps given values', () => {
    const config = parseConfig({ recall: { mode: 'dense', k: 100 }, rerank: { provider: 'transformers', k: 10 } });
    expect(config.recall.mode).toBe('dense');
    expect(config.recall.k).toBe(100);
    expect(config.recall.efSearch).toBe(150);
    expect(config.rerank.k).toBe(10);
  });

  it('reads lexical queries as plain questions unless web-search syntax is asked for', () => {
    expect(parseConfig({}).recall.lexicalSyntax).toBe('plain');
    expect(parseConfig({ recall: { lexicalSyntax: 'websearch' } }).recall.lexicalSyntax).toBe('websearch');
    expect(() => parseConfig({ recall: { lexicalSyntax: 'boolean' } })).toThrow(/recall\.lexicalSyntax/);
  });

  it('bounds generation by a total deadline, 60 s unless set', () => {
    expect(parseConfig({}).generate.deadlineMs).toBe(60_000);
    expect(parseConfig({ generate: { deadlineMs: 5_000 } }).generate.deadlineMs).toBe(5_000);
    expect(() => parseConfig({ generate: { deadlineMs: 0 } })).toThrow(/generate\.deadlineMs/);
  });

  it('names the source and the field of a bad value', () => {
    try {
      parseConfig({ recall: { k: -3 } }, 'winnow.config.yaml');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(WinnowError);
      const e = error as WinnowError;
      expect(e.code).toBe('E_CONFIG_INVALID');
      expect(e.file).toBe('winnow.config.yaml');
      expect(e.field).toBe('recall.k');
      expect(e.message).toContain('winnow.config.yaml');
      expect(e.message).toContain('recall.k');
    }
  });

  it('rejects unknown keys (typos) by name', () => {
    expect(() => parseConfig({ recal: { k: 5 } })).toThrow(/recal/);
    expect(() => parseConfig({ recall: { kk: 5 } })).toThrow(/kk/);
  });

  it('rejects inconsistent chunk sizes', () => {
    expect(() => parseConfig({ chunk: { targetTokens: 500, maxTokens: 200 } })).toThrow(/chunk\.targetTokens/);
  });

  it('validates the recall filter with the filter language', () => {
    const config = parseConfig({ recall: { filter: { field: 'metadata.lang', op: 'eq', value: 'en' } } });
    expect(config.recall.filter).toEqual({ field: 'metadata.lang', op: 'eq', value: 'en' });
    expect(() => parseConfig({ recall: { filter: { field: 'metadata.lang', op: 'drop table', value: 1 } } })).toThrow(
      /unknown operator/,
    );
  });
});

describe('loadConfigFile', () => {
  it('reads YAML', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, '# comment\nname: dense-only\nrecall:\n  mode: dense\n  k: 20\n');
    const config = await loadConfigFile(file);
    expect(config.name).toBe('dense-only');
    expect(config.recall.k).toBe(20);
  });

  it('reads JSON', async () => {
    const file = join(dir, 'ok.json');
    await writeFile(file, JSON.stringify({ embed: { model: 'bge-small-en-v1.5' } }));
    expect((await loadConfigFile(file)).embed.model).toBe('bge-small-en-v1.5');
  });

  it('gives a clear error for a bad file: field and file named', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'recall:\n  mode: semantic\n');
    const error = await expectConfigError(loadConfigFile(file));
    expect(error.code).toBe('E_CONFIG_INVALID');
    expect(error.message).toContain(file);
    expect(error.message).toContain('recall.mode');
  });

  it('reports YAML syntax errors with the file', async () => {
    const file = join(dir, 'syntax.yaml');
    await writeFile(file, 'recall: [unclosed\n');
    const error = await expectConfigError(loadConfigFile(file));
    expect(error.code).toBe('E_CONFIG_INVALID');
    expect(error.message).toMatch(/not valid YAML/);
    expect(error.file).toBe(file);
  });

  it('reports a missing file', async () => {
    const error = await expectConfigError(loadConfigFile(join(dir, 'missing.yaml')));
    expect(error.code).toBe('E_CONFIG_NOT_FOUND');
  });
});

describe('applyEnvironment', () => {
  it('DATABASE_URL switches to the server; OpenAI variables fill gaps only', () => {
    const base = parseConfig({ generate: { baseURL: 'http://vllm:8000/v1' } });
    const config = applyEnvironment(base, {
      DATABASE_URL: 'postgres://u:p@db/winnow',
      OPENAI_BASE_URL: 'http://other/v1',
      OPENAI_API_KEY: 'sk-test',
    });
    expect(config.store).toMatchObject({ driver: 'postgres', url: 'postgres://u:p@db/winnow' });
    expect(config.generate.baseURL).toBe('http://vllm:8000/v1');
    expect(config.generate.apiKey).toBe('sk-test');
    expect(base.store.driver).toBe('pglite');
  });
});
