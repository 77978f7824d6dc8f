import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const modelsDir = process.env.WINNOW_MODELS ?? '';
export const CROSS_ENCODER = 'ce-minilm-l6-scifact';

export interface PairItem {
  query_id: string;
  query: string;
  doc_id: string;
  kind: 'relevant' | 'bm25_hard_negative' | 'random';
  passage: string;
  logit_pytorch_fp32: number;
  logit_onnxruntime_q8: number;
  logit_transformersjs_q8: number;
  logit_transformersjs_q8_sep_preserved: number;
  tokens_untruncated: number;
}

export interface LengthSection {
  max_length: number;
  call: string;
  ordering_pytorch_fp32: string[][];
  items: PairItem[];
}

export interface CrossEncoderReference {
  max_length_128: LengthSection;
  max_length_256: LengthSection;
  recommended_test_tolerances: Record<string, number | string>;
}

export function readCrossEncoderReference(): CrossEncoderReference {
  return JSON.parse(readFileSync(join(modelsDir, CROSS_ENCODER, 'reference.json'), 'utf8')) as CrossEncoderReference;
}

/**
 * Whether this CPU has int8 dot-product instructions (AVX-512 VNNI or AVX-VNNI). The reference logits were made on
 * such a CPU; elsewhere onnxruntime's int8 kernels round differently (SOURCE.md says so). Python onnxruntime 1.32
 * on an AVX2-only CPU gives the same logits as this package there, so the gap is the CPU's, not the input's.
 */
export function cpuHasVnni(): boolean {
  try {
    return /\b(avx512_vnni|avx_vnni)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}
