/**
 * Maximal marginal relevance: picks `k` of the candidates one at a time, each maximising
 * λ·sim(query, c) − (1 − λ)·max sim(c, already picked), with cosine similarity. λ = 1 is plain relevance
 * order; lower values trade relevance for diversity. Returns indexes into `embeddings`, in pick order.
 */
export function mmrOrder(
  query: Float32Array,
  embeddings: readonly Float32Array[],
  k: number,
  lambda: number,
): number[] {
  const relevance = embeddings.map((embedding) => cosine(query, embedding));
  // Highest similarity of each candidate to anything picked so far.
  const redundancy = new Float64Array(embeddings.length).fill(Number.NEGATIVE_INFINITY);
  const picked: number[] = [];
  const available = new Set(embeddings.keys());
  while (picked.length < k && available.size > 0) {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const index of available) {
      const penalty = picked.length === 0 ? 0 : (redundancy[index] as number);
      const score = lambda * (relevance[index] as number) - (1 - lambda) * penalty;
      if (score > bestScore) {
        bestScore = score;
        best = index;
      }
    }
    if (best === -1) break;
    picked.push(best);
    available.delete(best);
    const chosen = embeddings[best] as Float32Array;
    for (const index of available) {
      const similarity = cosine(chosen, embeddings[index] as Float32Array);
      if (similarity > (redundancy[index] as number)) redundancy[index] = similarity;
    }
  }
  return picked;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}
