import { join } from 'node:path';
import { pipeline } from '@huggingface/transformers';
import { isWinnowError } from '@winnow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosineSimilarity, type EmbeddingCache, LruEmbeddingCache, TransformersEmbedder } from '../src/index.js';
import { type EmbeddingReference, modelsDir, readReference } from './helpers.js';

const minilm = readReference<EmbeddingReference>('all-MiniLM-L6-v2');
const texts = minilm.items.map((item) => item.text);

/** Words that are one token each, so a text of n words is n content tokens and any prefix is a clean cut. */
const WORDS = 'river stone light paper garden window music table water forest'.split(' ');
const wordText = (count: number) => Array.from({ length: count }, (_, i) => WORDS[(i * 7) % WORDS.length]).join(' ');

describe('TransformersEmbedder (all-MiniLM-L6-v2)', () => {
  let embedder: TransformersEmbedder;
  beforeAll(async () => {
    // Uncached, so that every call below really runs the model.
    embedder = await TransformersEmbedder.create({
      model: 'all-MiniLM-L6-v2',
      device: 'cpu',
      batchSize: 8,
      cache: false,
    });
  });
  afterAll(() => embedder.close());

  it('restores input order after length-sorted batching', async () => {
    // Shuffled so that length order and input order disagree.
    const order = texts.map((_, i) => (i * 7) % texts.length);
    const shuffled = order.map((i) => texts[i] ?? '');
    const batched = await embedder.embed(shuffled);
    const single = await Promise.all(shuffled.map(async (text) => (await embedder.embed([text])).vectors[0] ?? []));
    expect(batched.vectors).toHaveLength(shuffled.length);
    let worst = 1;
    batched.vectors.forEach((vector, i) => {
      const similarities = single.map((other) => cosineSimilarity(vector, other));
      const own = similarities[i] ?? 0;
      worst = Math.min(worst, own);
      // Per-call int8 activation scales move a vector a little; another text's vector is far away.
      expect(own, `texts[${i}]`).toBeGreaterThanOrEqual(0.98);
      expect(Math.max(...similarities.filter((_, j) => j !== i))).toBeLessThan(own);
    });
    console.log(`batched (8 per call) vs one per call: min cosine ${worst.toFixed(6)}`);
  });

  it('reports truncated positions and keeps the final [SEP]', async () => {
    const budget = embedder.maxTokens - 2;
    const long = wordText(budget + 150);
    const cut = wordText(budget);
    const result = await embedder.embed(['a short text', long, cut]);
    expect(result.truncated).toEqual([1]);
    expect(result.tokens).toBe(5 + 256 + 256);
    // The over-long text is embedded exactly as its first maxTokens-2 tokens followed by [SEP] ...
    expect(cosineSimilarity(result.vectors[1] ?? [], result.vectors[2] ?? [])).toBeGreaterThanOrEqual(0.999999);
    // ... which transformers.js gives for the cut text, and not for the long one (it drops [SEP] there).
    const plain = await pipeline('feature-extraction', join(modelsDir, 'all-MiniLM-L6-v2'), {
      dtype: 'q8',
      local_files_only: true,
    });
    const reference = (await plain(cut, { pooling: 'mean', normalize: true })).data as Float32Array;
    const plainLong = (await plain(long, { pooling: 'mean', normalize: true })).data as Float32Array;
    await plain.dispose();
    const alone = (await embedder.embed([long])).vectors[0] ?? [];
    expect(cosineSimilarity(alone, reference)).toBeGreaterThanOrEqual(0.999999);
    expect(cosineSimilarity(alone, plainLong)).toBeLessThan(0.999999);
  });

  it('gives the same vectors with batches run concurrently, and nothing for no texts', async () => {
    const parallel = await TransformersEmbedder.create({
      model: 'all-MiniLM-L6-v2',
      device: 'cpu',
      batchSize: 4,
      concurrency: 3,
      threads: 1,
      cache: false,
    });
    const sequential = await TransformersEmbedder.create({
      model: 'all-MiniLM-L6-v2',
      device: 'cpu',
      batchSize: 4,
      cache: false,
    });
    const [a, b] = await Promise.all([parallel.embed(texts), sequential.embed(texts)]);
    // Same batches, so the same per-call int8 scales: equal up to float rounding.
    a.vectors.forEach((vector, i) => {
      expect(cosineSimilarity(vector, b.vectors[i] ?? [])).toBeGreaterThanOrEqual(0.999999);
    });
    expect(await parallel.embed([])).toEqual({ vectors: [], truncated: [], tokens: 0 });
    await Promise.all([parallel.close(), sequential.close()]);
  });

  it('reports an explicit GPU device it cannot open', async () => {
    const result = await TransformersEmbedder.create({ model: 'all-MiniLM-L6-v2', device: 'cuda' }).catch((e) => e);
    if (result instanceof TransformersEmbedder) {
      expect(result.device).toBe('cuda');
      await result.close();
    } else {
      expect(isWinnowError(result, 'E_DEVICE_UNAVAILABLE')).toBe(true);
      expect(result.message).toContain('embed.device');
    }
  });

  it('rejects empty and whitespace-only texts by position', async () => {
    await expect(embedder.embed(['fine', '', 'x'])).rejects.toThrow(/E_EMPTY_INPUT: field texts\[1\]/);
    await expect(embedder.embed(['fine', 'also', ' \n\t'])).rejects.toThrow(/field texts\[2\]/);
  });

  it('adds no prefix for a model without one', async () => {
    const query = await embedder.embed(['obesity and life quality'], { inputType: 'query' });
    const document = await embedder.embed(['obesity and life quality'], { inputType: 'document' });
    expect(cosineSimilarity(query.vectors[0] ?? [], document.vectors[0] ?? [])).toBe(1);
  });

  it('serves repeated texts from the cache without running the model', async () => {
    const cache = new LruEmbeddingCache();
    const cached = await TransformersEmbedder.create({ model: 'all-MiniLM-L6-v2', device: 'cpu', cache });
    const first = await cached.embed(texts.slice(0, 5));
    expect(first.tokens).toBeGreaterThan(0);
    expect(cache.size).toBe(5);
    const second = await cached.embed([...texts.slice(0, 5), `${texts[0]}  `]);
    expect(second.tokens).toBe(0);
    expect(cache.hits).toBe(6);
    second.vectors.slice(0, 5).forEach((vector, i) => {
      expect(Array.from(vector)).toEqual(Array.from(first.vectors[i] ?? []));
    });
    // Only the new text reaches the model.
    const third = await cached.embed([texts[0] ?? '', texts[6] ?? '']);
    expect(third.tokens).toBe(minilm.items[6]?.n_tokens);
    await cached.close();
  });

  it('uses a pluggable cache keyed by model and text', async () => {
    const store = new Map<string, Float32Array>();
    const cache: EmbeddingCache = {
      getMany: async (keys) => keys.map((key) => store.get(key)),
      setMany: async (entries) => {
        for (const [key, vector] of entries) store.set(key, vector);
      },
    };
    const withCache = await TransformersEmbedder.create({ model: 'all-MiniLM-L6-v2', device: 'cpu', cache });
    await withCache.embed(['alpha', 'beta', 'alpha']);
    expect(store.size).toBe(2);
    expect([...store.keys()].every((key) => key.startsWith('all-MiniLM-L6-v2@q8\u0000'))).toBe(true);
    const again = await withCache.embed(['beta']);
    expect(again.tokens).toBe(0);
    await withCache.close();
  });

  it('stops with E_ABORTED when the signal has fired', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await embedder.embed(['late'], { signal: controller.signal }).catch((e) => e);
    expect(isWinnowError(error, 'E_ABORTED')).toBe(true);
  });

  it('counts tokens with the model tokenizer, special tokens included, without truncating', async () => {
    const counter = embedder.tokenCounter();
    for (const item of minilm.items) expect(counter.count(item.text)).toBe(item.n_tokens_untruncated);
  });
});

describe('TransformersEmbedder (bge-small-en-v1.5)', () => {
  it('prefixes queries only', async () => {
    const bge = await TransformersEmbedder.create({ model: 'bge-small-en-v1.5', device: 'cpu', cache: false });
    const text = 'CX3CR1 on the Th2 cells suppresses airway inflammation.';
    const query = await bge.embed([text], { inputType: 'query' });
    const prefixed = await bge.embed([`${bge.profile.queryPrefix}${text}`], { inputType: 'document' });
    const document = await bge.embed([text]);
    expect(cosineSimilarity(query.vectors[0] ?? [], prefixed.vectors[0] ?? [])).toBeGreaterThanOrEqual(0.999999);
    expect(cosineSimilarity(query.vectors[0] ?? [], document.vectors[0] ?? [])).toBeLessThan(0.99);
    await bge.close();
  });
});
