import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { WinnowError } from './errors.js';
import { parseFilter } from './filter.js';
import { DEFAULT_MAX_QUERY_TOKENS, MAX_QUERY_TOKENS } from './retrieval.js';

/**
 * The pipeline configuration: one schema read by the CLI, the indexer and the eval harness.
 * Every field has a default, so `{}` is a valid configuration (embedded PGlite, MiniLM, no reranker).
 */
const positiveInt = z.number().int().positive();

/**
 * Names a user registers providers and stages under (see @winnow/assemble's registry); a built-in name keeps its
 * strict schema, any other name is checked against the registry when the pipeline is opened.
 */
const registeredName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, - and _ (at most 64), starting with a letter');
/** Settings of a registered (user) provider or stage, passed to its factory as they are. */
const registeredOptions = z.record(z.string(), z.unknown());

export const BUILTIN_EMBED_PROVIDERS = ['transformers', 'openai'] as const;
export const BUILTIN_RERANK_PROVIDERS = ['none', 'transformers', 'http'] as const;
export const BUILTIN_STORE_DRIVERS = ['pglite', 'postgres'] as const;

/** A provider name: one of the built-ins, or a name registered by the user. */
function providerName<const T extends readonly [string, ...string[]]>(builtins: T) {
  return z.union([z.enum(builtins), registeredName]);
}

/** `options` belong to registered providers only: built-in ones take their settings as the section's own fields. */
function optionsOnlyWhenRegistered(key: string, builtins: readonly string[]) {
  return (section: Record<string, unknown> & { options?: unknown }, ctx: z.RefinementCtx) => {
    if (section.options !== undefined && builtins.includes(section[key] as string)) {
      ctx.addIssue({
        code: 'custom',
        path: ['options'],
        message: `options are for registered providers; built-in ${key} ${String(section[key])} takes its settings as fields`,
      });
    }
  };
}

/**
 * Candidates scored by stage 2 when `rerank.depth` is not set. From the depth x maxTokens frontier on 150 SciFact
 * train queries (eval/results/scifact/README.md): the best 10 at 512 tokens came within 0.003 nDCG@10 of all 50
 * at a two-stage p95 of 0.72 s on 2 cores; 20 cost 1.16 s p95 for no gain there (+0.005 to +0.01 on test, tuned).
 */
export const DEFAULT_RERANK_DEPTH = 10;
/**
 * The reranker's share in the default interpolation. Chosen on SciFact train (the MS MARCO cross-encoder never saw
 * SciFact) for the worst case, not the mean: on 100 train queries 0.4 was the one share at which reranking stayed at
 * or above its first stage for lexical, dense and hybrid recall alike; higher shares scored better on some recalls
 * and fell below recall on others, and on a collection far from MS MARCO (ADI) 0.8 fell 0.010 below it
 * (eval/results/scifact/README.md).
 */
export const DEFAULT_FUSION_WEIGHT = 0.4;

export const storeConfigSchema = z
  .strictObject({
    /** `pglite` (embedded, a folder) or `postgres` (a server at `url`, default from DATABASE_URL). */
    driver: providerName(BUILTIN_STORE_DRIVERS).default('pglite'),
    path: z.string().min(1).default('.winnow/db'),
    url: z.string().min(1).optional(),
    /** Table-name prefix, so several collections can share one database. */
    collection: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be lower-case letters, digits and _ (at most 40), starting with a letter')
      .default('winnow'),
    metric: z.enum(['cosine', 'inner_product', 'l2']).default('cosine'),
    index: z
      .strictObject({
        type: z.enum(['hnsw', 'ivfflat', 'none']).default('hnsw'),
        m: positiveInt.default(16),
        efConstruction: positiveInt.default(128),
        lists: positiveInt.optional(),
      })
      .prefault({}),
    /** Store vectors as half precision: 'auto' does so above 2,000 dimensions (pgvector's HNSW limit for vector). */
    halfvec: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    /**
     * PostgreSQL server: statement_timeout (ms) for every statement but index builds; 0 turns it off. 30 s is
     * far above a normal search (milliseconds) and stops a runaway one; PGlite cannot interrupt a statement.
     */
    statementTimeoutMs: z.number().int().min(0).max(2_147_483_647).default(30_000),
    /** Settings of a registered store (a `driver` name the user registered). */
    options: registeredOptions.optional(),
  })
  .superRefine(optionsOnlyWhenRegistered('driver', BUILTIN_STORE_DRIVERS))
  .prefault({});

export const ingestConfigSchema = z
  .strictObject({
    /** The folder `winnow index` / `winnow reindex` read when no path is given, relative to the config file. */
    root: z.string().min(1).default('.'),
    include: z.array(z.string().min(1)).default(['**/*']),
    exclude: z.array(z.string().min(1)).default(['**/node_modules/**', '**/.git/**', '**/.winnow/**']),
    maxFileBytes: positiveInt.default(50 * 1024 * 1024),
    followSymlinks: z.boolean().default(false),
    /** Passwords for encrypted PDFs, by document id or glob. */
    pdfPasswords: z.record(z.string(), z.string()).default({}),
    /** A file whose bytes contradict its extension (HTML saved as .pdf): load it as what it is, or fail it. */
    onTypeMismatch: z.enum(['load', 'reject']).default('load'),
    /**
     * The encoding of text files (WHATWG label, e.g. windows-1251), overriding detection and HTML declarations;
     * unset: BOM, declaration, UTF-8, else detected from the bytes.
     */
    encoding: z
      .string()
      .min(1)
      .refine((label) => isKnownEncoding(label), {
        message: 'is not an encoding this runtime can decode (use a WHATWG label such as windows-1251 or shift_jis)',
      })
      .optional(),
    /** Most time one document may take to load and chunk before it is reported as a failure (E_TIMEOUT). */
    maxDocumentMs: positiveInt.default(60_000),
    /** Most bytes a gzip source (a BEIR corpus.jsonl.gz) may decompress to before reading stops. */
    maxDecompressedBytes: positiveInt.default(4 * 1024 * 1024 * 1024),
  })
  .prefault({});

function isKnownEncoding(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

const accessListSchema = z.strictObject({
  tenant: z.string().min(1).max(200),
  groups: z.array(z.string().min(1).max(200)).max(1_000).default([]),
});

/**
 * Per-document access control (see core's `canAccess`). With `enabled`, every document gets an access list at
 * ingestion — its `metadataKey` (front matter or source metadata), else the first rule whose glob matches its id
 * (the path relative to the source root), else `default` — and every retrieval must name a principal.
 */
export const accessConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** The front matter / metadata key read as a document's own access list (`{ tenant, groups }` or a tenant). */
    metadataKey: z.string().min(1).default('access'),
    rules: z
      .array(
        z.strictObject({
          /** A glob over the document id (its path relative to the source root), e.g. `acme/hr/**`. */
          path: z.string().min(1),
          ...accessListSchema.shape,
        }),
      )
      .default([]),
    /** The access list of a document that neither names its own nor matches a rule; unset: visible to nobody. */
    default: accessListSchema.optional(),
  })
  .prefault({});

export const chunkConfigSchema = z
  .strictObject({
    targetTokens: positiveInt.default(200),
    maxTokens: positiveInt.default(256),
    overlapTokens: z.number().int().nonnegative().default(32),
    /** Prepend title and heading path to the text that is embedded (the stored text stays clean). */
    contextual: z.boolean().default(true),
    /** Split documents into chunks at all; false keeps each document whole (as BEIR does), truncated by the model. */
    split: z.boolean().default(true),
  })
  .prefault({})
  .refine((c) => c.targetTokens <= c.maxTokens, {
    message: 'targetTokens must not exceed maxTokens',
    path: ['targetTokens'],
  })
  .refine((c) => c.overlapTokens < c.targetTokens, {
    message: 'overlapTokens must be below targetTokens',
    path: ['overlapTokens'],
  });

const dtype = z.enum(['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'bnb4', 'q4f16']);
const device = z.enum(['auto', 'cpu', 'cuda', 'webgpu', 'dml', 'coreml']);
const http = {
  baseURL: z.string().url().optional(),
  apiKey: z.string().optional(),
  timeoutMs: positiveInt.default(60_000),
  maxRetries: z.number().int().nonnegative().default(3),
};

export const embedConfigSchema = z
  .strictObject({
    provider: providerName(BUILTIN_EMBED_PROVIDERS).default('transformers'),
    /** A hub id (`Xenova/all-MiniLM-L6-v2`), a folder name under WINNOW_MODELS, or a path. */
    model: z.string().min(1).default('all-MiniLM-L6-v2'),
    dtype: dtype.default('q8'),
    device: device.default('auto'),
    batchSize: positiveInt.default(32),
    concurrency: positiveInt.default(1),
    queryPrefix: z.string().optional(),
    documentPrefix: z.string().optional(),
    /** Required for remote embedders that cannot report their size before the first call. */
    dimensions: positiveInt.optional(),
    ...http,
    /** Settings of a registered embedder. */
    options: registeredOptions.optional(),
  })
  .superRefine(optionsOnlyWhenRegistered('provider', BUILTIN_EMBED_PROVIDERS))
  .prefault({});

export const recallConfigSchema = z
  .strictObject({
    mode: z.enum(['dense', 'lexical', 'hybrid']).default('hybrid'),
    k: positiveInt.default(50),
    efSearch: positiveInt.default(150),
    rrfK: positiveInt.default(60),
    denseWeight: z.number().nonnegative().default(1),
    lexicalWeight: z.number().nonnegative().default(1),
    /** Exact nearest neighbours by a full scan (no vector index): recall's ground truth, slow on large collections. */
    exact: z.boolean().optional(),
    /** Dense mode: diversify the k results by maximal marginal relevance over their embeddings. */
    mmr: z.strictObject({ lambda: z.number().min(0).max(1), candidates: positiveInt.optional() }).optional(),
    /**
     * Query tokens (runs of letters, digits, `_`) kept for every mode; the rest are dropped and the result carries
     * a warning. Bounded because PGlite's engine crashes on a lexical query of ~610 lexemes (see
     * DEFAULT_MAX_QUERY_TOKENS); at most MAX_QUERY_TOKENS.
     */
    maxQueryTokens: positiveInt.max(MAX_QUERY_TOKENS).default(DEFAULT_MAX_QUERY_TOKENS),
    /** Lexical query text: a bag of words (plain) or web-search syntax (websearch); see LexicalSyntax. */
    lexicalSyntax: z.enum(['plain', 'websearch']).default('plain'),
    filter: z
      .unknown()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined) return undefined;
        try {
          return parseFilter(value, 'recall.filter');
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
          return z.NEVER;
        }
      }),
  })
  .prefault({});

export const rerankConfigSchema = z
  .strictObject({
    /** Stage 2 is on by default: a pretrained MS MARCO cross-encoder, fused with recall (see `fusion`). */
    provider: providerName(BUILTIN_RERANK_PROVIDERS).default('transformers'),
    /** A folder under WINNOW_MODELS, a path, or a hub id (`Xenova/ms-marco-MiniLM-L-12-v2` online). */
    model: z.string().min(1).default('ms-marco-MiniLM-L-12-v2'),
    dtype: dtype.default('q8'),
    device: device.default('auto'),
    /** Results kept after stage 2. */
    k: positiveInt.default(5),
    /**
     * How many of the recalled candidates (best first, after dedupe) the cross-encoder scores; the rest follow in
     * recall order. Apart from `recall.k` so that recall can stay wide while stage 2 stays fast.
     */
    depth: positiveInt.default(DEFAULT_RERANK_DEPTH),
    /**
     * Pairs per model call, grouped by length so batches carry little padding. Default: 1 on CPU, where batching
     * measured no faster (eval/results/scifact) and an int8 pair's score then does not depend on its batch; 16 on
     * a GPU.
     */
    batchSize: positiveInt.optional(),
    /** Longest (query, passage) pair in tokens; the passage is cut first. Default: the model's own limit. */
    maxTokens: positiveInt.optional(),
    /** onnxruntime intra-op threads. Default: one per physical core. */
    threads: positiveInt.optional(),
    /** Rerank scores kept in memory for repeated queries, keyed by (model, query, passage hash); 0 turns it off. */
    cacheEntries: z.number().int().nonnegative().default(0),
    ...http,
    /** Settings of a registered reranker. */
    options: registeredOptions.optional(),
  })
  .superRefine(optionsOnlyWhenRegistered('provider', BUILTIN_RERANK_PROVIDERS))
  .prefault({});

/** How the final order is made from recall and rerank: see the pipeline package. */
export const fusionConfigSchema = z
  .strictObject({
    /**
     * Interpolation of z-scored recall and rerank scores by default: recall evidence always counts, so an
     * out-of-domain reranker cannot sink what recall found (eval/results/scifact, eval/results/adi).
     */
    method: z.enum(['rerank', 'rrf', 'interpolate']).default('interpolate'),
    /** Weight of the rerank stage in [0, 1]; the recall stage gets 1 - weight. Default chosen on SciFact train. */
    weight: z.number().min(0).max(1).default(DEFAULT_FUSION_WEIGHT),
    rrfK: positiveInt.default(60),
    normalize: z.enum(['zscore', 'minmax']).default('zscore'),
  })
  .prefault({});

/** Options of the built-in stages, strict; a registered stage's options go to its factory unchecked. */
export const builtinStageOptionSchemas = {
  dedupe: z.strictObject({ minOverlap: z.number().gt(0).max(1).optional() }),
  /** Settings in `rerank` (model, depth, batchSize). */
  rerank: z.strictObject({}),
  /** Settings in `fusion`. */
  fuse: z.strictObject({}),
  mmr: z.strictObject({ lambda: z.number().min(0).max(1), depth: positiveInt.optional() }),
  'metadata-boost': z.strictObject({
    boosts: z
      .array(
        z.strictObject({
          key: z.string().min(1),
          equals: z
            .union([
              z.string(),
              z.number(),
              z.boolean(),
              z.null(),
              z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])),
            ])
            .optional(),
          add: z.number(),
        }),
      )
      .min(1),
  }),
} as const;

export const builtinQueryTransformOptionSchemas = {
  /** Other phrasings from the configured generator, recalled and fused by reciprocal rank. */
  'multi-query': z.strictObject({ queries: positiveInt.max(10).optional() }),
} as const;

function stepSchema(builtins: Record<string, z.ZodType>) {
  return z.strictObject({ use: registeredName, options: registeredOptions.default({}) }).superRefine((step, ctx) => {
    const schema = builtins[step.use];
    if (!schema) return;
    const parsed = schema.safeParse(step.options);
    if (parsed.success) return;
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ code: 'custom', message: issue.message, path: ['options', ...issue.path.map(String)] });
    }
  });
}

export const stageSpecSchema = stepSchema(builtinStageOptionSchemas);
export type StageSpec = z.output<typeof stageSpecSchema>;

/**
 * The retrieval composition. `stages` (default: dedupe, rerank when a reranker is configured, fuse) run in order
 * after recall; `queryTransform` runs before it (off by default). Built-in names: see `builtinStageOptionSchemas`.
 */
export const retrievalConfigSchema = z
  .strictObject({
    stages: z.array(stageSpecSchema).min(1).optional(),
    queryTransform: stepSchema(builtinQueryTransformOptionSchemas).optional(),
  })
  .prefault({});

export const promptConfigSchema = z
  .strictObject({
    /** Whole prompt budget in the generator's tokens, answer included. */
    contextWindow: positiveInt.default(8192),
    answerTokens: positiveInt.default(1024),
    order: z.enum(['score', 'lost-in-the-middle']).default('score'),
    /**
     * How prompt tokens are counted: a tiktoken encoding (o200k_base, cl100k_base), or a model folder / hub id whose
     * own tokenizer is used (vLLM models). Default: the encoding of `generate.model` (OpenAI names).
     */
    tokenizer: z.string().min(1).optional(),
    mergeAdjacent: z.boolean().default(true),
    systemTemplate: z.string().optional(),
    userTemplate: z.string().optional(),
  })
  .prefault({});

export const generateConfigSchema = z
  .strictObject({
    model: z.string().min(1).default('gpt-4o-mini'),
    temperature: z.number().min(0).max(2).default(0),
    maxTokens: positiveInt.default(1024),
    ...http,
    /**
     * Longest total wait for the answer to start, across all attempts and retry pauses (timeoutMs bounds each
     * attempt). Without it a hanging endpoint holds `ask` for (maxRetries + 1) × timeoutMs plus backoff.
     */
    deadlineMs: positiveInt.default(60_000),
  })
  .prefault({});

export const pipelineConfigSchema = z
  .strictObject({
    version: z.literal(1).default(1),
    /** A name for reports (eval compares configurations by name). */
    name: z.string().min(1).optional(),
    store: storeConfigSchema,
    ingest: ingestConfigSchema,
    chunk: chunkConfigSchema,
    embed: embedConfigSchema,
    recall: recallConfigSchema,
    rerank: rerankConfigSchema,
    fusion: fusionConfigSchema,
    retrieval: retrievalConfigSchema,
    prompt: promptConfigSchema,
    generate: generateConfigSchema,
    access: accessConfigSchema,
  })
  .superRefine((config, ctx) => {
    // Caught here rather than at the first query: a rerank stage needs a reranker.
    for (const [i, stage] of (config.retrieval.stages ?? []).entries()) {
      if (stage.use === 'rerank' && config.rerank.provider === 'none') {
        ctx.addIssue({
          code: 'custom',
          path: ['retrieval', 'stages', i, 'use'],
          message: 'a rerank stage needs a reranker (rerank.provider is none)',
        });
      }
    }
  });

export type PipelineConfig = z.output<typeof pipelineConfigSchema>;
export type PipelineConfigInput = z.input<typeof pipelineConfigSchema>;

/** Validates a configuration object; `source` (a file name) is named in every error. */
export function parseConfig(input: unknown, source = '<config>'): PipelineConfig {
  const result = pipelineConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  const first = issues[0] ?? { path: '(root)', message: 'invalid configuration' };
  const more =
    issues.length > 1
      ? ` (and ${issues.length - 1} more: ${issues
          .slice(1)
          .map((i) => i.path)
          .join(', ')})`
      : '';
  throw new WinnowError('E_CONFIG_INVALID', `${first.message}${more}`, {
    file: source,
    field: first.path,
    details: { issues },
  });
}

/** Reads and validates a YAML (.yaml/.yml) or JSON (.json) configuration file. */
export async function loadConfigFile(path: string): Promise<PipelineConfig> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (error) {
    throw new WinnowError('E_CONFIG_NOT_FOUND', 'cannot read the configuration file', { file: path, cause: error });
  }
  return parseConfig(parseConfigText(raw, path), path);
}

/** Parses config text by extension: JSON for .json, YAML otherwise (YAML is a superset of JSON). */
export function parseConfigText(raw: string, source: string): unknown {
  try {
    return extname(source).toLowerCase() === '.json' ? JSON.parse(raw) : parseYaml(raw);
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `not valid ${extname(source) === '.json' ? 'JSON' : 'YAML'}: ${message}`,
      {
        file: source,
        cause: error,
      },
    );
  }
}

/** Environment variables that override the file, as documented in the README. */
export interface ConfigEnvironment {
  DATABASE_URL?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_API_KEY?: string;
}

/**
 * Applies environment overrides: DATABASE_URL switches the store to that PostgreSQL server;
 * OPENAI_BASE_URL / OPENAI_API_KEY fill the generator's endpoint when the file sets none.
 */
export function applyEnvironment(config: PipelineConfig, env: ConfigEnvironment): PipelineConfig {
  const next: PipelineConfig = structuredClone(config);
  if (env.DATABASE_URL && (BUILTIN_STORE_DRIVERS as readonly string[]).includes(next.store.driver)) {
    next.store.driver = 'postgres';
    next.store.url = env.DATABASE_URL;
  }
  if (env.OPENAI_BASE_URL && next.generate.baseURL === undefined) next.generate.baseURL = env.OPENAI_BASE_URL;
  if (env.OPENAI_API_KEY && next.generate.apiKey === undefined) next.generate.apiKey = env.OPENAI_API_KEY;
  return next;
}
