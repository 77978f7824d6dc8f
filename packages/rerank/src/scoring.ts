import { WinnowError } from '@winnow/core';

/** One logit: its sigmoid. Two logits: the softmax probability of the second (positive) class. */
export function relevanceFromLogits(logits: readonly number[]): number {
  if (logits.length === 1) return 1 / (1 + Math.exp(-(logits[0] ?? 0)));
  const negative = logits[0] ?? 0;
  const positive = logits[logits.length - 1] ?? 0;
  return 1 / (1 + Math.exp(negative - positive));
}

export function assertQuery(query: string, field = 'query'): void {
  if (typeof query !== 'string' || query.trim() === '') {
    throw new WinnowError('E_EMPTY_QUERY', 'cannot rerank for an empty query', { field });
  }
}

export function assertPassages(passages: readonly string[], field = 'passages'): void {
  const at = passages.findIndex((passage) => typeof passage !== 'string' || passage.trim() === '');
  if (at >= 0) {
    const name = passages.length === 1 && field !== 'passages' ? field : `${field}[${at}]`;
    throw new WinnowError('E_EMPTY_INPUT', 'cannot rerank an empty or whitespace-only passage', { field: name });
  }
}
