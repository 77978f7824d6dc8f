import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reranker } from '@winnow/core';
import { createCrossEncoderReranker } from '@winnow/rerank';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedReranker } from '../src/harness/rerank-cache.js';

let model: Reranker;
beforeAll(async () => {
  model = await createCrossEncoderReranker({ model: 'ce-minilm-l6-scifact', device: 'cpu' });
});
afterAll(async () => {
  await model?.close?.();
});

describe('cachedReranker', () => {
  it('scores misses with the model, answers repeats from disk, and counts both', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'winnow-rerank-cache-')), 'scores.tsv');
    const passages = ['Aspirin lowers the risk of heart attack.', 'The weather in Glasgow is wet.'];
    const first = await cachedReranker(model, file);
    const scores = await first.score('does aspirin prevent heart attacks?', passages);
    expect(scores).toEqual(await model.score('does aspirin prevent heart attacks?', passages));
    expect(first.pairs).toEqual({ computed: 2, cached: 0 });
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(2);

    // A new process (a new instance over the same file) reuses them; only the new passage is scored.
    const second = await cachedReranker(model, file);
    const again = await second.score('does aspirin prevent heart attacks?', [
      ...passages,
      'Statins lower cholesterol.',
    ]);
    expect(again.slice(0, 2)).toEqual(scores);
    expect(second.pairs).toEqual({ computed: 1, cached: 2 });
    // The same passage for another query is another pair.
    await second.score('is Glasgow rainy?', passages.slice(1));
    expect(second.pairs).toEqual({ computed: 2, cached: 2 });
  });
});
