import { WinnowError } from '@winnow/core';
import { familyPrefixes } from './prefixes.js';

export type Pooling = 'mean' | 'cls';

/** How a model folder says it should be used: read from its own config files, options taking precedence. */
export interface ModelProfile {
  dimensions: number;
  /** Longest input in tokens, special tokens included. */
  maxTokens: number;
  pooling: Pooling;
  normalize: boolean;
  queryPrefix: string;
  documentPrefix: string;
}

export interface ProfileOverrides {
  pooling?: Pooling | undefined;
  normalize?: boolean | undefined;
  maxTokens?: number | undefined;
  queryPrefix?: string | undefined;
  documentPrefix?: string | undefined;
}

export interface ProfileSources {
  /** Model name for the family defaults of prefixes, e.g. `bge-small-en-v1.5` or `intfloat/e5-base-v2`. */
  name: string;
  /** Where the files are, for messages. */
  where: string;
  /** config.json */
  config: Record<string, unknown>;
  /** tokenizer_config.json */
  tokenizerConfig: Record<string, unknown>;
  /** Reads an optional JSON file of the model (sentence-transformers files); undefined when absent. */
  readJson(file: string): Promise<unknown>;
}

/** transformers writes this for "no limit" into tokenizer configs. */
const NO_LIMIT = 1e12;

/** The model's own profile, and the position limit that bounds any maxTokens override. */
export interface ModelDefaults {
  profile: ModelProfile;
  maxPositions: number | undefined;
}

/** Reads dimensions, maximum length, pooling, normalisation and prefixes as the model folder declares them. */
export async function readModelDefaults(sources: ProfileSources): Promise<ModelDefaults> {
  const [modules, sbertConfig, stConfig] = await Promise.all([
    sources.readJson('modules.json'),
    sources.readJson('sentence_bert_config.json'),
    sources.readJson('config_sentence_transformers.json'),
  ]);
  const moduleList = Array.isArray(modules) ? modules.filter(isRecord) : [];
  const poolingPath = moduleList.find((m) => String(m.type).endsWith('.Pooling'))?.path;
  const poolingConfig = await sources.readJson(
    `${typeof poolingPath === 'string' ? poolingPath : '1_Pooling'}/config.json`,
  );

  const dimensions =
    positiveNumber(sources.config.hidden_size) ?? positiveNumber(field(poolingConfig, 'word_embedding_dimension'));
  if (dimensions === undefined) {
    throw new WinnowError('E_MODEL_LOAD', 'config.json has no hidden_size, so the embedding size is unknown', {
      file: `${sources.where}/config.json`,
    });
  }
  const maxPositions = positiveNumber(sources.config.max_position_embeddings);
  const fromTokenizer = positiveNumber(sources.tokenizerConfig.model_max_length);
  const declaredMax =
    positiveNumber(field(sbertConfig, 'max_seq_length')) ??
    (fromTokenizer !== undefined && fromTokenizer < NO_LIMIT ? fromTokenizer : undefined) ??
    maxPositions ??
    512;
  return {
    maxPositions,
    profile: {
      dimensions,
      maxTokens: maxPositions === undefined ? declaredMax : Math.min(declaredMax, maxPositions),
      pooling: poolingFromConfig(poolingConfig, sources.where),
      // Without sentence-transformers files nothing says otherwise; unit vectors suit cosine search.
      normalize: moduleList.length > 0 ? moduleList.some((m) => String(m.type).endsWith('.Normalize')) : true,
      ...choosePrefixes(sources.name, stConfig),
    },
  };
}

/** The profile with the caller's options applied; a maxTokens beyond the position table is a config error. */
export function applyOverrides(defaults: ModelDefaults, overrides: ProfileOverrides, where: string): ModelProfile {
  const { profile, maxPositions } = defaults;
  const maxTokens = overrides.maxTokens;
  if (
    maxTokens !== undefined &&
    (!Number.isInteger(maxTokens) || maxTokens < 3 || maxTokens > (maxPositions ?? Infinity))
  ) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `maxTokens ${maxTokens} is outside 3..${maxPositions ?? 'the model limit'} (config.json max_position_embeddings)`,
      { field: 'maxTokens', file: where },
    );
  }
  return {
    dimensions: profile.dimensions,
    maxTokens: maxTokens ?? profile.maxTokens,
    pooling: overrides.pooling ?? profile.pooling,
    normalize: overrides.normalize ?? profile.normalize,
    queryPrefix: overrides.queryPrefix ?? profile.queryPrefix,
    documentPrefix: overrides.documentPrefix ?? profile.documentPrefix,
  };
}

function poolingFromConfig(config: unknown, where: string): Pooling {
  if (!isRecord(config)) return 'mean';
  const mode = config.pooling_mode;
  if (mode === 'cls' || config.pooling_mode_cls_token === true) return 'cls';
  if (mode === 'mean' || config.pooling_mode_mean_tokens === true) return 'mean';
  throw new WinnowError(
    'E_MODEL_LOAD',
    'the model asks for a pooling mode other than mean or cls, which this embedder does not implement',
    { file: `${where}/1_Pooling/config.json`, hint: "pass pooling: 'mean' or 'cls' to override" },
  );
}

function choosePrefixes(name: string, stConfig: unknown): Pick<ModelProfile, 'queryPrefix' | 'documentPrefix'> {
  const prompts = field(stConfig, 'prompts');
  const family = familyPrefixes(name);
  const fromPrompts = (...keys: string[]) => {
    for (const key of keys) {
      const value = field(prompts, key);
      if (typeof value === 'string') return value;
    }
    return undefined;
  };
  return {
    queryPrefix: fromPrompts('query') ?? family.query,
    documentPrefix: fromPrompts('document', 'passage', 'corpus') ?? family.document,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}

function positiveNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
