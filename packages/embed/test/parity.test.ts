import { join } from 'node:path';
import { type FeatureExtractionPipeline, pipeline } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosineSimilarity, maxAbsDifference, TransformersEmbedder } from '../src/index.js';
import { cpuHasVnni, type EmbeddingReference, modelsDir, readReference, type Tolerance } from './helpers.js';

/**
 * Parity with the shared reference vectors, one text per call as they were made. On a CPU without int8 dot-product
 * instructions, onnxruntime's q8 kernels round differently from the reference machine's, so the stored q8 vectors
 * get the fp32 tolerance there; the same-build comparison with transformers.js below stays exact everywhere.
 */
const vnni = cpuHasVnni();
const NON_VNNI_Q8: Tolerance = { min_cosine: 0.98, max_abs_diff: 0.04 };

for (const model of ['all-MiniLM-L6-v2', 'bge-small-en-v1.5']) {
  describe(`${model} parity`, () => {
    const reference = readReference<EmbeddingReference>(model);
    let embedder: TransformersEmbedder;
    let plain: FeatureExtractionPipeline;
    const ours: Float32Array[] = [];

    beforeAll(async () => {
      embedder = await TransformersEmbedder.create({ model, device: 'cpu', cache: false });
      plain = await pipeline('feature-extraction', join(modelsDir, model), { dtype: 'q8', local_files_only: true });
      for (const item of reference.items) {
        const batch = await embedder.embed([item.text], { inputType: item.kind === 'query' ? 'query' : 'document' });
        ours.push(batch.vectors[0] ?? new Float32Array());
      }
    });
    afterAll(async () => {
      await embedder.close();
      await plain.dispose();
    });

    it('reads the model settings from its folder', () => {
      expect(embedder.dimensions).toBe(384);
      expect(embedder.maxTokens).toBe(reference.max_tokens);
      expect(embedder.profile.pooling).toBe(reference.pooling);
      expect(embedder.profile.normalize).toBe(true);
      expect(embedder.profile.queryPrefix).toBe(reference.query_prefix);
      expect(embedder.modelId).toBe(`${model}@q8`);
    });

    const stored = [
      ['embedding_q8_onnxruntime', reference.tolerances.vs_embedding_q8_onnxruntime, true],
      ['embedding_q8_transformersjs', reference.tolerances.vs_embedding_q8_transformersjs, true],
      ['embedding_fp32_sentence_transformers', reference.tolerances.vs_embedding_fp32_sentence_transformers, false],
    ] as const;
    for (const [column, stated, isQ8] of stored) {
      if (stated === undefined) continue;
      const tolerance = isQ8 && !vnni ? NON_VNNI_Q8 : stated;
      it(`matches ${column} for all 20 items (cosine >= ${tolerance.min_cosine}, max |diff| <= ${tolerance.max_abs_diff})`, () => {
        const figures = reference.items.map((item, index) => {
          const expected = item[column] ?? [];
          const vector = ours[index] ?? new Float32Array();
          return {
            id: item.id,
            cosine: cosineSimilarity(vector, expected),
            maxAbs: maxAbsDifference(vector, expected),
          };
        });
        const worst = figures.reduce((a, b) => (b.cosine < a.cosine ? b : a));
        console.log(
          `${model} vs ${column}: min cosine ${worst.cosine.toFixed(6)} (item ${worst.id}), max |diff| ${Math.max(...figures.map((f) => f.maxAbs)).toFixed(4)}${vnni ? '' : ' [CPU without VNNI]'}`,
        );
        for (const figure of figures) {
          expect(figure.cosine, `item ${figure.id}`).toBeGreaterThanOrEqual(tolerance.min_cosine);
          expect(figure.maxAbs, `item ${figure.id}`).toBeLessThanOrEqual(tolerance.max_abs_diff);
        }
      });
    }

    it('equals transformers.js on the same build for every text within the limit', async () => {
      for (const [index, item] of reference.items.entries()) {
        if (item.n_tokens_untruncated > reference.max_tokens) continue;
        const out = await plain(item.input ?? item.text, { pooling: reference.pooling, normalize: true });
        const cosine = cosineSimilarity(ours[index] ?? [], out.data as Float32Array);
        expect(cosine, `item ${item.id}`).toBeGreaterThanOrEqual(reference.tolerances.same_build_repeat.min_cosine);
      }
    });

    it('truncates over-long texts differently from transformers.js (figures vs the onnxruntime reference)', async () => {
      const long = reference.items.flatMap((item, index) =>
        item.n_tokens_untruncated > reference.max_tokens ? [{ item, index }] : [],
      );
      expect(long.length).toBeGreaterThan(0);
      const lines: string[] = [];
      for (const { item, index } of long) {
        const theirs = (await plain(item.input ?? item.text, { pooling: reference.pooling, normalize: true }))
          .data as Float32Array;
        const vector = ours[index] ?? new Float32Array();
        lines.push(
          `${item.id} (${item.n_tokens_untruncated} tokens): cosine vs onnxruntime q8 ours ${cosineSimilarity(vector, item.embedding_q8_onnxruntime).toFixed(6)}, transformers.js ${cosineSimilarity(theirs, item.embedding_q8_onnxruntime).toFixed(6)}`,
        );
        // Different inputs (the final token differs), so the vectors must differ.
        expect(cosineSimilarity(vector, theirs)).toBeLessThan(0.999999);
      }
      console.log(`${model} over-long items:\n  ${lines.join('\n  ')}`);
    });
  });
}
