import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from '@huggingface/transformers';
import { isWinnowError } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { cosineSimilarity, familyPrefixes, TransformersEmbedder } from '../src/index.js';
import { modelsDir } from './helpers.js';

/** A new model folder named `name` holding links to a shared model's files, minus `leaveOut`. */
function linkedModel(source: string, name: string, leaveOut: string[] = []): string {
  const root = mkdtempSync(join(tmpdir(), 'winnow-models-'));
  const dir = join(root, name);
  mkdirSync(dir);
  for (const entry of readdirSync(join(modelsDir, source))) {
    if (!leaveOut.includes(entry)) symlinkSync(join(modelsDir, source, entry), join(dir, entry));
  }
  return dir;
}

describe('model folders', () => {
  it('lists expected and missing files of an incomplete folder', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'winnow-models-')), 'half-model');
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{}');
    const error = await TransformersEmbedder.create({ model: dir, device: 'cpu' }).catch((e) => e);
    expect(isWinnowError(error, 'E_MODEL_NOT_FOUND')).toBe(true);
    expect(error.message).toContain(dir);
    expect(error.message).toContain(
      'missing tokenizer.json, tokenizer_config.json, onnx/model_quantized.onnx (expected config.json, tokenizer.json, tokenizer_config.json, onnx/model_quantized.onnx)',
    );
  });

  it('names the ONNX file a dtype needs and the dtypes the folder has', async () => {
    const error = await TransformersEmbedder.create({
      model: join(modelsDir, 'all-MiniLM-L6-v2'),
      dtype: 'fp32',
    }).catch((e) => e);
    expect(isWinnowError(error, 'E_MODEL_NOT_FOUND')).toBe(true);
    expect(error.message).toContain('missing onnx/model.onnx');
    expect(error.message).toContain('dtype q8');
  });

  it('reports a missing folder path', async () => {
    const error = await TransformersEmbedder.create({ model: '/nonexistent/models/mini' }).catch((e) => e);
    expect(isWinnowError(error, 'E_MODEL_NOT_FOUND')).toBe(true);
    expect(error.message).toContain('/nonexistent/models/mini');
  });

  it('gives one clear E_MODEL_NOT_FOUND when the hub is unreachable', async () => {
    // A port that refuses connections stands in for an unreachable hub.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 9));
      });
    });
    const previous = env.remoteHost;
    env.remoteHost = `http://127.0.0.1:${port}/`;
    try {
      const error = await TransformersEmbedder.create({ model: 'winnow-test/no-such-model', device: 'cpu' }).catch(
        (e) => e,
      );
      expect(isWinnowError(error, 'E_MODEL_NOT_FOUND')).toBe(true);
      expect(error.message).toContain('winnow-test/no-such-model');
      expect(error.message).toContain('WINNOW_MODELS');
    } finally {
      env.remoteHost = previous;
    }
  });

  it('applies family prefixes by model name when the folder lists no prompts', async () => {
    expect(familyPrefixes('intfloat/e5-small-v2')).toEqual({ query: 'query: ', document: 'passage: ' });
    expect(familyPrefixes('multilingual-e5-large')).toEqual({ query: 'query: ', document: 'passage: ' });
    expect(familyPrefixes('BAAI/bge-base-en-v1.5').query).toMatch(/^Represent this sentence/);
    expect(familyPrefixes('bge-m3')).toEqual({ query: '', document: '' });
    expect(familyPrefixes('all-MiniLM-L6-v2')).toEqual({ query: '', document: '' });

    // MiniLM's files under an e5 name: the family prefixes apply to both sides.
    const e5 = await TransformersEmbedder.create({ model: linkedModel('all-MiniLM-L6-v2', 'e5-mini'), device: 'cpu' });
    const minilm = await TransformersEmbedder.create({ model: 'all-MiniLM-L6-v2', device: 'cpu' });
    expect(e5.modelId).toBe('e5-mini@q8');
    expect(e5.profile.documentPrefix).toBe('passage: ');
    const viaPrefix = await e5.embed(['the cell'], { inputType: 'query' });
    const byHand = await minilm.embed(['query: the cell']);
    expect(cosineSimilarity(viaPrefix.vectors[0] ?? [], byHand.vectors[0] ?? [])).toBeGreaterThanOrEqual(0.999999);
    await e5.close();

    // bge without its config_sentence_transformers.json: the family default gives the same instruction.
    const bgeDir = linkedModel('bge-small-en-v1.5', 'bge-small-en-v1.5', ['config_sentence_transformers.json']);
    const bge = await TransformersEmbedder.create({ model: bgeDir, device: 'cpu' });
    expect(bge.profile.queryPrefix).toBe('Represent this sentence for searching relevant passages: ');
    expect(bge.profile.documentPrefix).toBe('');
    await bge.close();
    await minilm.close();
  });

  it('falls back to mean pooling and normalisation without sentence-transformers files, and takes overrides', async () => {
    const dir = linkedModel('bge-small-en-v1.5', 'plain-bert', [
      'modules.json',
      '1_Pooling',
      'sentence_bert_config.json',
      'config_sentence_transformers.json',
    ]);
    const plain = await TransformersEmbedder.create({ model: dir, device: 'cpu' });
    expect(plain.profile).toMatchObject({ pooling: 'mean', normalize: true, maxTokens: 512, queryPrefix: '' });
    await plain.close();
    const overridden = await TransformersEmbedder.create({
      model: 'all-MiniLM-L6-v2',
      device: 'cpu',
      pooling: 'cls',
      maxTokens: 128,
      queryPrefix: 'search: ',
    });
    expect(overridden.modelId).toBe('all-MiniLM-L6-v2@q8+cls+max128');
    expect(overridden.maxTokens).toBe(128);
    const vector = (await overridden.embed(['x'.repeat(10)], { inputType: 'query' })).vectors[0] ?? [];
    expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    await overridden.close();
    await expect(
      TransformersEmbedder.create({ model: 'all-MiniLM-L6-v2', device: 'cpu', maxTokens: 4096 }),
    ).rejects.toThrow(/E_CONFIG_INVALID.*maxTokens/);
  });

  it('opens on CPU when auto finds no GPU, saying why', async () => {
    const messages: string[] = [];
    const embedder = await TransformersEmbedder.create({
      model: 'all-MiniLM-L6-v2',
      device: 'auto',
      logger: (message) => messages.push(message),
    });
    if (embedder.device === 'cpu') {
      expect(messages.length).toBeGreaterThan(0);
      expect(messages.at(-1)).toMatch(/unavailable \(.+\); falling back to cpu/);
    }
    await embedder.close();
  });
});
