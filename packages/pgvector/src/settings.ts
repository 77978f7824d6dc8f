import { type DistanceMetric, WinnowError } from '@winnow/core';

export type VectorIndexType = 'hnsw' | 'ivfflat' | 'none';
export type VectorType = 'vector' | 'halfvec';
/** Text-search configuration of the generated tsvector column: stemmed English, or plain lower-cased words. */
export type TextSearchConfig = 'english' | 'simple';
/** pgvector ≥ 0.8's iterative index scans, used for filtered queries so they still find k rows. */
export type IterativeScan = 'relaxed_order' | 'strict_order' | 'off';

export interface VectorIndexOptions {
  type?: VectorIndexType;
  /** HNSW: links per node (2–100). Default 16. */
  m?: number;
  /**
   * HNSW: candidate list size while building (4–1000, at least 2·m). Default 128: measured with bench:scale on
   * clustered 384-d vectors (100k), 64 gave recall@10 0.968 (vector) and 0.882 (halfvec) at ef_search 40, 128
   * gave 1.000 and 0.998, for a build about 1.7× longer.
   */
  efConstruction?: number;
  /** IVFFlat: number of lists; default rows/1000 (at least 1; √rows above a million rows) at build time. */
  lists?: number;
}

/** What a collection is: fixed when it is created and recorded in its `<collection>_collection` table. */
export interface CollectionSettings {
  modelId: string;
  dimensions: number;
  metric: DistanceMetric;
  vectorType: VectorType;
  textSearch: TextSearchConfig;
}

export interface IndexSettings {
  type: VectorIndexType;
  m: number;
  efConstruction: number;
  lists: number | undefined;
}

/** pgvector's limits: vector columns up to 16,000 dims; HNSW/IVFFlat index vector up to 2,000, halfvec up to 4,000. */
export const MAX_DIMENSIONS = 16_000;
export const MAX_INDEXED_DIMENSIONS: Record<VectorType, number> = { vector: 2_000, halfvec: 4_000 };
export const MAX_EF_SEARCH = 1_000;

export function checkInteger(value: unknown, min: number, max: number, setting: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new WinnowError('E_CONFIG_INVALID', `expected an integer from ${min} to ${max}, got ${String(value)}`, {
      setting,
    });
  }
  return value;
}

export function resolveIndexSettings(options: VectorIndexOptions | undefined): IndexSettings {
  const type = options?.type ?? 'hnsw';
  if (!['hnsw', 'ivfflat', 'none'].includes(type)) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `unknown index type ${JSON.stringify(type)}; expected hnsw, ivfflat or none`,
      {
        setting: 'store.index.type',
      },
    );
  }
  const m = checkInteger(options?.m ?? 16, 2, 100, 'store.index.m');
  const efConstruction = checkInteger(options?.efConstruction ?? 128, 4, 1000, 'store.index.efConstruction');
  if (efConstruction < 2 * m) {
    throw new WinnowError('E_CONFIG_INVALID', `efConstruction (${efConstruction}) must be at least 2·m (${2 * m})`, {
      setting: 'store.index.efConstruction',
    });
  }
  const lists = options?.lists === undefined ? undefined : checkInteger(options.lists, 1, 32_768, 'store.index.lists');
  return { type, m, efConstruction, lists };
}

/** halfvec 'auto' stores half precision only where full precision could not be indexed. */
export function chooseVectorType(halfvec: boolean | 'auto', dimensions: number): VectorType {
  if (halfvec === 'auto') return dimensions > MAX_INDEXED_DIMENSIONS.vector ? 'halfvec' : 'vector';
  return halfvec ? 'halfvec' : 'vector';
}

export function checkIndexable(index: IndexSettings, settings: CollectionSettings): void {
  const limit = MAX_INDEXED_DIMENSIONS[settings.vectorType];
  if (index.type !== 'none' && settings.dimensions > limit) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `pgvector cannot build a ${index.type} index on ${settings.vectorType}(${settings.dimensions}): the limit is ${limit} dimensions`,
      { setting: 'store.index.type', hint: "use halfvec: true (up to 4,000 dimensions) or index type 'none'" },
    );
  }
}

/** Operator and operator class for a metric; `<#>` is the negative inner product. */
export function metricOperator(metric: DistanceMetric): '<=>' | '<#>' | '<->' {
  return metric === 'cosine' ? '<=>' : metric === 'inner_product' ? '<#>' : '<->';
}

export function operatorClass(metric: DistanceMetric, vectorType: VectorType): string {
  const suffix = metric === 'cosine' ? 'cosine_ops' : metric === 'inner_product' ? 'ip_ops' : 'l2_ops';
  return `${vectorType}_${suffix}`;
}

/** Higher is better: cosine similarity, inner product, or negative Euclidean distance. */
export function similarityFromDistance(metric: DistanceMetric, distance: number): number {
  return metric === 'cosine' ? 1 - distance : -distance;
}
