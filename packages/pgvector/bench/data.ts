import { chunkId, type StoredDocumentWrite, textHash } from '@winnow/core';

/** Deterministic pseudo-random numbers (mulberry32). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
}

export function normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) / norm;
  return vector;
}

/**
 * Unit vectors around `clusters` random centres: closer to real embeddings (which cluster by topic) than
 * uniform noise, on which every index does badly.
 */
export function clusteredVectors(
  count: number,
  dimensions: number,
  seed: number,
  clusters = 50,
  spreadFactor = 1,
): Float32Array[] {
  const next = random(seed);
  const centres = Array.from({ length: clusters }, () =>
    normalize(Float32Array.from({ length: dimensions }, () => gaussian(next))),
  );
  // Noise of norm ≈ spreadFactor around unit centres: at 1, points of a cluster have cosine ≈ 0.5.
  const spread = spreadFactor / Math.sqrt(dimensions);
  return Array.from({ length: count }, () => {
    const centre = centres[Math.floor(next() * clusters)] as Float32Array;
    return normalize(centre.map((value) => value + spread * gaussian(next)));
  });
}

/** Queries near (not at) stored points (cosine ≈ 0.9 to their point). */
export function queriesNear(vectors: Float32Array[], count: number, seed: number): Float32Array[] {
  const next = random(seed);
  const spread = 0.5 / Math.sqrt(vectors[0]?.length ?? 1);
  return Array.from({ length: count }, () => {
    const base = vectors[Math.floor(next() * vectors.length)] as Float32Array;
    return normalize(base.map((value) => value + spread * gaussian(next)));
  });
}

/** Documents of `perDocument` chunks each, with ids and hashes as the pipeline makes them. */
export function documentWrites(vectors: Float32Array[], perDocument = 10): StoredDocumentWrite[] {
  const writes: StoredDocumentWrite[] = [];
  for (let start = 0; start < vectors.length; start += perDocument) {
    const id = `bench/doc-${start / perDocument}.md`;
    const chunks = vectors.slice(start, start + perDocument).map((embedding, ordinal) => {
      // One rare keyword (subject0 … subject96) per chunk gives lexical queries a realistic selectivity.
      const text = `Chunk ${ordinal} of ${id}: a few words of text about subject${(start + ordinal) % 97} for the lexical index.`;
      const hash = textHash(text);
      return {
        id: chunkId(id, ordinal, hash),
        documentId: id,
        ordinal,
        text,
        headingPath: ['Bench', `Section ${ordinal}`],
        tokenCount: 24,
        provenance: { charStart: ordinal * 120, charEnd: ordinal * 120 + text.length },
        metadata: { topic: (start + ordinal) % 97 },
        hash,
        embedding,
      };
    });
    writes.push({ document: { id, uri: `file:///${id}`, contentHash: textHash(id), metadata: {} }, chunks });
  }
  return writes;
}

/** Exact top-k by dot product (= cosine for unit vectors), as indexes into `vectors`. */
export function exactTopK(vectors: Float32Array[], query: Float32Array, k: number): number[] {
  const best: Array<{ index: number; score: number }> = [];
  vectors.forEach((vector, index) => {
    let score = 0;
    for (let i = 0; i < vector.length; i++) score += (vector[i] as number) * (query[i] as number);
    if (best.length < k || score > (best[best.length - 1] as { score: number }).score) {
      best.push({ index, score });
      best.sort((a, b) => b.score - a.score);
      if (best.length > k) best.pop();
    }
  });
  return best.map(({ index }) => index);
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
