import { type DistanceMetric, WinnowError } from '@winnow/core';
import { advisoryKey } from './advisory.js';
import type { SqlDriver, SqlExecutor } from './driver.js';
import { applyMigrations } from './migrations.js';
import type { CollectionTables } from './naming.js';
import {
  type CollectionSettings,
  checkInteger,
  chooseVectorType,
  MAX_DIMENSIONS,
  type TextSearchConfig,
  type VectorType,
} from './settings.js';

/** What the caller asks for; unset fields are taken from an existing collection. */
export interface RequestedCollection {
  modelId?: string;
  dimensions?: number;
  metric?: DistanceMetric;
  halfvec?: boolean | 'auto';
  textSearch?: TextSearchConfig;
}

export interface PreparedCollection {
  settings: CollectionSettings;
  /** The installed pgvector version, e.g. `0.8.0`. */
  pgvectorVersion: string;
  /** Migration versions applied by this open (empty when the schema was current). */
  migrationsApplied: number[];
}

/** halfvec arrived in pgvector 0.7.0; iterative index scans in 0.8.0. */
const MIN_PGVECTOR = [0, 7, 0];
export const ITERATIVE_SCAN_PGVECTOR = [0, 8, 0];

export function versionAtLeast(version: string, minimum: readonly number[]): boolean {
  const parts = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < minimum.length; i++) {
    const have = parts[i] ?? 0;
    const want = minimum[i] ?? 0;
    if (have !== want) return have > want;
  }
  return true;
}

/**
 * Creates or opens a collection in one transaction under a database-wide advisory lock, so concurrent
 * openers never race on CREATE EXTENSION / CREATE TABLE. Refuses another model or dimension.
 */
export function prepareCollection(
  driver: SqlDriver,
  tables: CollectionTables,
  requested: RequestedCollection,
): Promise<PreparedCollection> {
  return driver.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1::bigint)', [advisoryKey('migrate')]);
    const pgvectorVersion = await ensureExtension(tx, driver.location);
    const stored = await readStoredSettings(tx, tables);
    const settings =
      stored === undefined
        ? newSettings(tables.collection, requested)
        : reconcile(tables.collection, stored, requested);
    const migrationsApplied = await applyMigrations(tx, tables, settings);
    return { settings, pgvectorVersion, migrationsApplied };
  });
}

async function ensureExtension(tx: SqlExecutor, location: string): Promise<string> {
  const installed = async (): Promise<string | undefined> => {
    const { rows } = await tx.query<{ extversion: string }>(
      `select extversion from pg_extension where extname = 'vector'`,
    );
    return rows[0]?.extversion;
  };
  let version = await installed();
  if (version === undefined) {
    try {
      await tx.query('create extension if not exists vector');
    } catch (error) {
      throw new WinnowError('E_DB_EXTENSION', `cannot create the pgvector extension in ${location}`, {
        setting: 'store.url',
        cause: error,
        hint: 'install pgvector (>= 0.7) on the server and run CREATE EXTENSION vector as a superuser',
      });
    }
    version = (await installed()) ?? '0';
  }
  if (!versionAtLeast(version, MIN_PGVECTOR)) {
    throw new WinnowError(
      'E_DB_EXTENSION',
      `pgvector ${version} in ${location} is too old; ${MIN_PGVECTOR.join('.')} or newer is needed`,
      {
        setting: 'store.url',
      },
    );
  }
  return version;
}

interface StoredRow {
  model_id: string;
  dimensions: number;
  metric: DistanceMetric;
  vector_type: VectorType;
  text_search: TextSearchConfig;
}

async function readStoredSettings(tx: SqlExecutor, tables: CollectionTables): Promise<CollectionSettings | undefined> {
  const { rows: exists } = await tx.query<{ present: boolean }>('select to_regclass($1) is not null as present', [
    tables.info,
  ]);
  if (exists[0]?.present !== true) return undefined;
  const { rows } = await tx.query<StoredRow>(
    `select model_id, dimensions, metric, vector_type, text_search from ${tables.info} where id = 1`,
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    modelId: row.model_id,
    dimensions: row.dimensions,
    metric: row.metric,
    vectorType: row.vector_type,
    textSearch: row.text_search,
  };
}

function newSettings(collection: string, requested: RequestedCollection): CollectionSettings {
  if (requested.modelId === undefined || requested.dimensions === undefined) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `collection '${collection}' does not exist yet; modelId and dimensions are needed to create it`,
      { setting: 'store.collection' },
    );
  }
  const dimensions = checkInteger(requested.dimensions, 1, MAX_DIMENSIONS, 'dimensions');
  return {
    modelId: requested.modelId,
    dimensions,
    metric: requested.metric ?? 'cosine',
    vectorType: chooseVectorType(requested.halfvec ?? 'auto', dimensions),
    textSearch: requested.textSearch ?? 'english',
  };
}

function reconcile(collection: string, stored: CollectionSettings, requested: RequestedCollection): CollectionSettings {
  const modelDiffers = requested.modelId !== undefined && requested.modelId !== stored.modelId;
  const dimensionsDiffer = requested.dimensions !== undefined && requested.dimensions !== stored.dimensions;
  if (modelDiffers || dimensionsDiffer) {
    throw new WinnowError(
      'E_DIMENSION_MISMATCH',
      `collection '${collection}' holds embeddings of model ${stored.modelId} (${stored.dimensions} dimensions), ` +
        `but it was opened for model ${requested.modelId ?? stored.modelId} (${requested.dimensions ?? stored.dimensions} dimensions)`,
      {
        setting: 'store.collection',
        details: {
          stored: { modelId: stored.modelId, dimensions: stored.dimensions },
          requested: { modelId: requested.modelId, dimensions: requested.dimensions },
        },
        hint: 'use another collection name for another model, or drop and rebuild this one',
      },
    );
  }
  const conflicts: string[] = [];
  if (requested.metric !== undefined && requested.metric !== stored.metric) {
    conflicts.push(`metric ${stored.metric} (asked for ${requested.metric})`);
  }
  if (typeof requested.halfvec === 'boolean' && requested.halfvec !== (stored.vectorType === 'halfvec')) {
    conflicts.push(`vector type ${stored.vectorType} (asked for halfvec: ${requested.halfvec})`);
  }
  if (requested.textSearch !== undefined && requested.textSearch !== stored.textSearch) {
    conflicts.push(`text search ${stored.textSearch} (asked for ${requested.textSearch})`);
  }
  if (conflicts.length > 0) {
    throw new WinnowError('E_CONFIG_INVALID', `collection '${collection}' was created with ${conflicts.join(', ')}`, {
      setting: 'store.collection',
    });
  }
  return stored;
}
