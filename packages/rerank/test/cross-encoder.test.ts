import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { type Candidate, isWinnowError } from '@winnow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossEncoderReranker, relevanceFromLogits, rerankCandidates } from '../src/index.js';
import { PairEncoder } from '../src/pair-encoding.js';
import { CROSS_ENCODER, modelsDir, readCrossEncoderReference } from './helpers.js';

const reference = readCrossEncoderReference().max_length_128;
const query219 = reference.items.filter((item) => item.query_id === '219');

describe('PairEncoder', () => {
  it('cuts the passage first and keeps [CLS] query [SEP] passage [SEP] with token types 0 then 1', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(join(modelsDir, CROSS_ENCODER), { local_files_only: true });
    const encoder = new PairEncoder(tokenizer, 32, CROSS_ENCODER);
    const query = encoder.encodeQuery('airway inflammation');
    const long = encoder.encode(query, 'river stone light paper garden window music table water forest '.repeat(10));
    expect(long.ids).toHaveLength(32);
    expect(long.truncated).toBe(true);
    const [cls, sep] = [tokenizer.encode('')[0], tokenizer.sep_token_id];
    expect(long.ids[0]).toBe(cls);
    expect(long.ids.slice(1, 1 + query.length)).toEqual(query);
    expect(long.ids[1 + query.length]).toBe(sep);
    expect(long.ids.at(-1)).toBe(sep);
    expect(long.typeIds).toEqual([...new Array(query.length + 2).fill(0), ...new Array(30 - query.length).fill(1)]);

    const short = encoder.encode(query, 'river stone');
    expect(short.truncated).toBe(false);
    expect(short.ids).toEqual(
      (
        tokenizer('airway inflammation', { text_pair: 'river stone', return_tensor: false }) as unknown as {
          input_ids: number[];
        }
      ).input_ids,
    );

    // A query longer than the budget gives up room only down to half, so the passage is still seen.
    const hugeQuery = encoder.encodeQuery('stone '.repeat(60));
    const squeezed = encoder.encode(hugeQuery, 'river '.repeat(60));
    expect(squeezed.ids).toHaveLength(32);
    expect(squeezed.typeIds.filter((type) => type === 1)).toHaveLength(14 + 1);
  });
});

describe('CrossEncoderReranker', () => {
  let reranker: CrossEncoderReranker;
  beforeAll(async () => {
    reranker = await CrossEncoderReranker.create({ model: CROSS_ENCODER, device: 'cpu', batchSize: 4 });
  });
  afterAll(() => reranker.close());

  it('reads its limit and labels from the model folder', () => {
    expect(reranker.modelId).toBe(`${CROSS_ENCODER}@q8`);
    expect(reranker.maxTokens).toBe(128);
    expect(reranker.numLabels).toBe(1);
  });

  it('scores one pair per call on CPU unless told otherwise, so a pair scores the same in any company', async () => {
    const onCpu = await CrossEncoderReranker.create({ model: CROSS_ENCODER, device: 'cpu' });
    expect(onCpu.batchSize).toBe(1);
    const [a, b] = [query219[0], query219[1]] as [(typeof query219)[0], (typeof query219)[0]];
    const together = await onCpu.score(a.query, [a.passage, b.passage]);
    const alone = await onCpu.score(a.query, [a.passage]);
    await onCpu.close();
    expect(together[0]).toBe(alone[0]);
    expect(reranker.batchSize).toBe(4);
  });

  it('scores by the sigmoid of the logit, in input order, and ranks the relevant passage first', async () => {
    const passages = query219.map((item) => item.passage);
    const scores = await reranker.score(query219[0]?.query ?? '', passages);
    const logits = await reranker.scoreLogits(
      passages.map((passage) => ({ query: query219[0]?.query ?? '', passage })),
    );
    expect(scores).toEqual(logits.map((row) => 1 / (1 + Math.exp(-(row[0] ?? 0)))));
    const best = scores.indexOf(Math.max(...scores));
    expect(query219[best]?.kind).toBe('relevant');
    // Reversed input gives the same scores reversed: order is restored after length-sorted batching.
    const reversed = await reranker.score(query219[0]?.query ?? '', [...passages].reverse());
    expect(reversed).toEqual([...scores].reverse());
  });

  it('turns two logits into the positive class probability', () => {
    expect(relevanceFromLogits([0])).toBe(0.5);
    expect(relevanceFromLogits([1, 3])).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
  });

  it('rejects empty queries and passages by name', async () => {
    await expect(reranker.score('  ', ['a'])).rejects.toThrow(/E_EMPTY_QUERY: field query/);
    await expect(reranker.score('q', ['a', ''])).rejects.toThrow(/E_EMPTY_INPUT: field passages\[1\]/);
    await expect(reranker.scorePairs([{ query: 'q', passage: ' ' }])).rejects.toThrow(/field pairs\[0\]\.passage/);
  });

  it('stops with E_ABORTED when the signal has fired', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await reranker.score('q', ['a'], { signal: controller.signal }).catch((e) => e);
    expect(isWinnowError(error, 'E_ABORTED')).toBe(true);
  });

  it('reranks candidates beside their earlier scores', async () => {
    const candidates: Candidate[] = query219.map((item, i) => ({
      chunk: {
        id: item.doc_id,
        documentId: item.doc_id,
        ordinal: 0,
        text: item.passage,
        headingPath: [],
        tokenCount: item.tokens_untruncated,
        provenance: { charStart: 0, charEnd: item.passage.length },
        metadata: {},
        hash: item.doc_id,
      },
      scores: { dense: 1 - i / 10 },
      ranks: { dense: i + 1 },
    }));
    const ranked = await rerankCandidates(reranker, query219[0]?.query ?? '', candidates, { k: 3 });
    expect(ranked).toHaveLength(3);
    expect(ranked.map((c) => c.ranks.rerank)).toEqual([1, 2, 3]);
    expect(ranked[0]?.chunk.id).toBe(query219.find((item) => item.kind === 'relevant')?.doc_id);
    const scores = ranked.map((c) => c.scores.rerank ?? 0);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const candidate of ranked) {
      const original = candidates.find((c) => c.chunk.id === candidate.chunk.id);
      expect(candidate.scores.dense).toBe(original?.scores.dense);
      expect(candidate.ranks.dense).toBe(original?.ranks.dense);
    }
    expect(candidates[0]?.scores.rerank).toBeUndefined();
    expect(await rerankCandidates(reranker, 'q', [])).toEqual([]);
  });
});

describe('model folders', () => {
  it('lists expected and missing files of an incomplete folder', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'winnow-rerank-')), 'half-reranker');
    mkdirSync(dir);
    writeFileSync(join(dir, 'tokenizer.json'), '{}');
    const error = await CrossEncoderReranker.create({ model: dir }).catch((e) => e);
    expect(isWinnowError(error, 'E_MODEL_NOT_FOUND')).toBe(true);
    expect(error.message).toContain(dir);
    expect(error.message).toContain('missing config.json, tokenizer_config.json, onnx/model_quantized.onnx');
    expect(error.message).toContain('rerank.model');
  });

  it('names the ONNX file of the dtype asked for', async () => {
    const error = await CrossEncoderReranker.create({ model: CROSS_ENCODER, dtype: 'fp16' }).catch((e) => e);
    expect(isWinnowError(error, 'E_MODEL_NOT_FOUND')).toBe(true);
    expect(error.message).toContain('missing onnx/model_fp16.onnx');
  });
});
