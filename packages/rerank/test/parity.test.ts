import { join } from 'node:path';
import {
  AutoModelForSequenceClassification,
  AutoTokenizer,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  Tensor,
} from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossEncoderReranker } from '../src/index.js';
import { CROSS_ENCODER, cpuHasVnni, type LengthSection, modelsDir, readCrossEncoderReference } from './helpers.js';

const reference = readCrossEncoderReference();
const SAME_INPUT = 1e-4;
/** The model card's per-call int8 variability ("up to ~1 logit"); used only against logits from a VNNI CPU. */
const OTHER_CPU = 1.0;
const vnni = cpuHasVnni();

/**
 * The reference's own recipe, written with transformers.js directly: encode the pair without truncation, keep
 * the first max_length-1 ids, append [SEP] (token type 1), pad, and run the model on all pairs in one call.
 */
async function recipeLogits(
  tokenizer: PreTrainedTokenizer,
  model: PreTrainedModel,
  section: LengthSection,
): Promise<number[]> {
  const sep = tokenizer.sep_token_id;
  const rows = section.items.map((item) => {
    const encoded = tokenizer(item.query, { text_pair: item.passage, return_tensor: false }) as unknown as {
      input_ids: number[];
      token_type_ids: number[];
    };
    let ids = encoded.input_ids;
    let types = encoded.token_type_ids;
    if (ids.length > section.max_length) {
      ids = [...ids.slice(0, section.max_length - 1), sep];
      types = [...types.slice(0, section.max_length - 1), 1];
    }
    return { ids, types };
  });
  const width = Math.max(...rows.map((row) => row.ids.length));
  const size = rows.length * width;
  const [ids, mask, types] = [new BigInt64Array(size), new BigInt64Array(size), new BigInt64Array(size)];
  for (const [r, row] of rows.entries()) {
    for (const [c, id] of row.ids.entries()) {
      ids[r * width + c] = BigInt(id);
      mask[r * width + c] = 1n;
      types[r * width + c] = BigInt(row.types[c] ?? 0);
    }
  }
  const dims = [rows.length, width];
  const output = (await model.forward({
    input_ids: new Tensor('int64', ids, dims),
    attention_mask: new Tensor('int64', mask, dims),
    token_type_ids: new Tensor('int64', types, dims),
  })) as { logits: Tensor };
  return Array.from(output.logits.data as Float32Array);
}

describe('cross-encoder parity with reference.json', () => {
  let tokenizer: PreTrainedTokenizer;
  let model: PreTrainedModel;
  beforeAll(async () => {
    const dir = join(modelsDir, CROSS_ENCODER);
    tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    model = await AutoModelForSequenceClassification.from_pretrained(dir, {
      dtype: 'q8',
      device: 'cpu',
      local_files_only: true,
    });
  });
  afterAll(() => model.dispose());

  for (const section of [reference.max_length_128, reference.max_length_256]) {
    describe(`max_length ${section.max_length}, all ${section.items.length} pairs in one call`, () => {
      let reranker: CrossEncoderReranker;
      let ours: number[];
      beforeAll(async () => {
        // batchSize >= 12 puts every reference pair into one model call, as its `call` field did.
        reranker = await CrossEncoderReranker.create({
          model: CROSS_ENCODER,
          device: 'cpu',
          maxTokens: section.max_length,
          batchSize: 16,
        });
        const logits = await reranker.scoreLogits(section.items.map(({ query, passage }) => ({ query, passage })));
        ours = logits.map((row) => row[0] ?? Number.NaN);
      });
      afterAll(() => reranker.close());

      it(`equals the [SEP]-preserving recipe on the same build (|diff| <= ${SAME_INPUT})`, async () => {
        const recipe = await recipeLogits(tokenizer, model, section);
        const worst = Math.max(...ours.map((logit, i) => Math.abs(logit - (recipe[i] ?? 0))));
        console.log(`${section.max_length}: max |ours - recipe| ${worst.toExponential(2)}`);
        expect(worst).toBeLessThanOrEqual(SAME_INPUT);
      });

      it('matches the stored onnxruntime q8 logits', () => {
        const tolerance = vnni ? SAME_INPUT : OTHER_CPU;
        const diffs = section.items.map((item, i) => Math.abs((ours[i] ?? 0) - item.logit_onnxruntime_q8));
        const fp32 = section.items.map((item, i) => Math.abs((ours[i] ?? 0) - item.logit_pytorch_fp32));
        console.log(
          `${section.max_length}: max |ours - onnxruntime q8| ${Math.max(...diffs).toFixed(6)} (tolerance ${tolerance}${vnni ? '' : ', CPU without VNNI'}); max |ours - pytorch fp32| ${Math.max(...fp32).toFixed(4)}`,
        );
        diffs.forEach((diff, i) => {
          expect(diff, section.items[i]?.doc_id).toBeLessThanOrEqual(tolerance);
        });
      });
    });
  }

  it('orders the reference passages as the reference does (128 tokens)', async () => {
    const section = reference.max_length_128;
    const reranker = await CrossEncoderReranker.create({ model: CROSS_ENCODER, device: 'cpu', batchSize: 16 });
    expect(reranker.maxTokens).toBe(128);
    const scores = await reranker.scorePairs(section.items.map(({ query, passage }) => ({ query, passage })));
    await reranker.close();
    const byDoc = new Map(section.items.map((item, i) => [`${item.query_id}/${item.doc_id}`, i]));
    for (const expectedOrder of section.ordering_pytorch_fp32) {
      const queryId = section.items.find((item) => item.doc_id === expectedOrder[0])?.query_id;
      const at = (doc: string) => byDoc.get(`${queryId}/${doc}`) ?? -1;
      const ourOrder = [...expectedOrder].sort((a, b) => (scores[at(b)] ?? 0) - (scores[at(a)] ?? 0));
      // The relevant passage first, as the model card asks.
      expect(ourOrder[0], `query ${queryId}`).toBe(expectedOrder[0]);
      // Every other pair in the reference order, unless the reference itself has them within 0.05 logit (a tie
      // that int8 rounding may break either way).
      for (let i = 0; i < expectedOrder.length; i += 1) {
        for (let j = i + 1; j < expectedOrder.length; j += 1) {
          const [a, b] = [at(expectedOrder[i] ?? ''), at(expectedOrder[j] ?? '')];
          const gap = (section.items[a]?.logit_pytorch_fp32 ?? 0) - (section.items[b]?.logit_pytorch_fp32 ?? 0);
          if (gap > 0.05) expect(scores[a] ?? 0, `query ${queryId}`).toBeGreaterThan(scores[b] ?? 0);
        }
      }
      console.log(`query ${queryId}: reference ${expectedOrder.join(' > ')}; ours ${ourOrder.join(' > ')}`);
    }
  });
});
