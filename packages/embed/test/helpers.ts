import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The shared model folders; vitest.config.ts sets WINNOW_MODELS. */
export const modelsDir = process.env.WINNOW_MODELS ?? '';

export interface ReferenceItem {
  kind: 'query' | 'doc';
  id: string;
  text: string;
  input?: string;
  n_tokens: number;
  n_tokens_untruncated: number;
  embedding_q8_onnxruntime: number[];
  embedding_q8_transformersjs: number[];
  embedding_fp32_sentence_transformers?: number[];
}

export interface Tolerance {
  min_cosine: number;
  max_abs_diff: number;
}

export interface EmbeddingReference {
  max_tokens: number;
  pooling: 'mean' | 'cls';
  query_prefix: string;
  items: ReferenceItem[];
  tolerances: {
    vs_embedding_q8_transformersjs: Tolerance;
    vs_embedding_q8_onnxruntime: Tolerance;
    vs_embedding_fp32_sentence_transformers?: Tolerance;
    same_build_repeat: { min_cosine: number };
  };
}

export function readReference<T = EmbeddingReference>(model: string): T {
  return JSON.parse(readFileSync(join(modelsDir, model, 'reference.json'), 'utf8')) as T;
}

/**
 * Whether this CPU has int8 dot-product instructions (AVX-512 VNNI or AVX-VNNI). The shared q8 references were
 * made on such a CPU; without them onnxruntime's int8 kernels round differently (the models' SOURCE.md says so),
 * which moves MiniLM-based q8 outputs by more than the same-build tolerance.
 */
export function cpuHasVnni(): boolean {
  try {
    return /\b(avx512_vnni|avx_vnni)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}
