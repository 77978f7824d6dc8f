import { Tensor } from '@huggingface/transformers';
import type { Pooling } from './model-profile.js';
import { l2NormalizeInPlace } from './vector-math.js';

/** Right-padded int64 model inputs for a batch of id sequences. */
export interface BatchInputs {
  feeds: Record<string, Tensor>;
  /** Real (unpadded) length of each row. */
  lengths: number[];
  width: number;
}

export function buildBatchInputs(sequences: readonly number[][], padId: number): BatchInputs {
  const rows = sequences.length;
  const width = Math.max(...sequences.map((ids) => ids.length));
  const ids = new BigInt64Array(rows * width).fill(BigInt(padId));
  const mask = new BigInt64Array(rows * width);
  sequences.forEach((sequence, row) => {
    sequence.forEach((id, column) => {
      ids[row * width + column] = BigInt(id);
      mask[row * width + column] = 1n;
    });
  });
  const dims = [rows, width];
  return {
    feeds: {
      input_ids: new Tensor('int64', ids, dims),
      attention_mask: new Tensor('int64', mask, dims),
      token_type_ids: new Tensor('int64', new BigInt64Array(rows * width), dims),
    },
    lengths: sequences.map((sequence) => sequence.length),
    width,
  };
}

/**
 * Pools token vectors [rows, width, hidden] into one vector per row: the mean over the row's real tokens
 * (as sentence-transformers does with the attention mask) or the first ([CLS]) token; then L2-normalises.
 */
export function poolHiddenStates(
  hidden: Float32Array,
  lengths: readonly number[],
  width: number,
  dimensions: number,
  pooling: Pooling,
  normalize: boolean,
): Float32Array[] {
  return lengths.map((length, row) => {
    const vector = new Float32Array(dimensions);
    const rowStart = row * width * dimensions;
    if (pooling === 'cls') {
      vector.set(hidden.subarray(rowStart, rowStart + dimensions));
    } else {
      const sums = new Float64Array(dimensions);
      for (let token = 0; token < length; token += 1) {
        const offset = rowStart + token * dimensions;
        for (let d = 0; d < dimensions; d += 1) sums[d] = (sums[d] ?? 0) + (hidden[offset + d] ?? 0);
      }
      for (let d = 0; d < dimensions; d += 1) vector[d] = (sums[d] ?? 0) / Math.max(1, length);
    }
    return normalize ? l2NormalizeInPlace(vector) : vector;
  });
}
