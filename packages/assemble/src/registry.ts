import {
  BUILTIN_EMBED_PROVIDERS,
  BUILTIN_RERANK_PROVIDERS,
  BUILTIN_STORE_DRIVERS,
  builtinQueryTransformOptionSchemas,
  builtinStageOptionSchemas,
  type CandidateStage,
  type Embedder,
  type Generator,
  type PipelineConfig,
  type QueryTransform,
  type Reranker,
  type VectorStore,
  WinnowError,
} from '@winnow/core';

/** What every factory gets beside its own settings. */
export interface BuildContext {
  config: PipelineConfig;
  /** Relative paths in the configuration are resolved from here. */
  baseDir: string;
}

export interface StoreBuildContext extends BuildContext {
  embedder: Pick<Embedder, 'modelId' | 'dimensions'>;
  waitForLock: boolean;
}

export interface StageBuildContext extends BuildContext {
  /** The configured reranker, if any (for stages that score). */
  reranker: Reranker | undefined;
  /** The configured generator, if an endpoint is set (for query transforms). */
  generator: Generator | undefined;
}

type Awaitable<T> = T | Promise<T>;
export type EmbedderFactory = (settings: PipelineConfig['embed'], context: BuildContext) => Awaitable<Embedder>;
export type RerankerFactory = (settings: PipelineConfig['rerank'], context: BuildContext) => Awaitable<Reranker>;
export type StoreFactory = (settings: PipelineConfig['store'], context: StoreBuildContext) => Awaitable<VectorStore>;
export type StageFactory = (options: Record<string, unknown>, context: StageBuildContext) => Awaitable<CandidateStage>;
export type QueryTransformFactory = (
  options: Record<string, unknown>,
  context: StageBuildContext,
) => Awaitable<QueryTransform>;

interface Kind<F> {
  /** The config field that names it, for errors. */
  field: string;
  builtins: readonly string[];
  factories: Map<string, F>;
}

/**
 * User providers and stages by name, reached from the configuration (`embed.provider`, `rerank.provider`,
 * `store.driver`, `retrieval.stages[].use`, `retrieval.queryTransform.use`) when the pipeline is opened with this
 * registry. Built-in names cannot be taken: their settings stay strictly checked by the schema.
 */
export class ProviderRegistry {
  readonly #embedders: Kind<EmbedderFactory> = kind('embed.provider', BUILTIN_EMBED_PROVIDERS);
  readonly #rerankers: Kind<RerankerFactory> = kind('rerank.provider', BUILTIN_RERANK_PROVIDERS);
  readonly #stores: Kind<StoreFactory> = kind('store.driver', BUILTIN_STORE_DRIVERS);
  readonly #stages: Kind<StageFactory> = kind('retrieval.stages', Object.keys(builtinStageOptionSchemas));
  readonly #transforms: Kind<QueryTransformFactory> = kind(
    'retrieval.queryTransform',
    Object.keys(builtinQueryTransformOptionSchemas),
  );

  embedder(name: string, factory: EmbedderFactory): this {
    return this.#add(this.#embedders, name, factory);
  }
  reranker(name: string, factory: RerankerFactory): this {
    return this.#add(this.#rerankers, name, factory);
  }
  store(name: string, factory: StoreFactory): this {
    return this.#add(this.#stores, name, factory);
  }
  stage(name: string, factory: StageFactory): this {
    return this.#add(this.#stages, name, factory);
  }
  queryTransform(name: string, factory: QueryTransformFactory): this {
    return this.#add(this.#transforms, name, factory);
  }

  /** The registered factory for a name that is not built in; a name that is neither fails naming both lists. */
  embedderFactory(name: string, field?: string): EmbedderFactory {
    return find(this.#embedders, name, field);
  }
  rerankerFactory(name: string, field?: string): RerankerFactory {
    return find(this.#rerankers, name, field);
  }
  storeFactory(name: string, field?: string): StoreFactory {
    return find(this.#stores, name, field);
  }
  stageFactory(name: string, field?: string): StageFactory {
    return find(this.#stages, name, field);
  }
  queryTransformFactory(name: string, field?: string): QueryTransformFactory {
    return find(this.#transforms, name, field);
  }

  #add<F>(kind: Kind<F>, name: string, factory: F): this {
    if (!/^[a-z][a-z0-9_-]{0,63}$/.test(name)) {
      throw new WinnowError(
        'E_CONFIG_INVALID',
        `cannot register ${JSON.stringify(name)}: names are lower-case letters, digits, - and _`,
        {
          field: kind.field,
        },
      );
    }
    if (kind.builtins.includes(name)) {
      throw new WinnowError('E_CONFIG_INVALID', `${name} is built in and cannot be registered again`, {
        field: kind.field,
      });
    }
    kind.factories.set(name, factory);
    return this;
  }
}

function kind<F>(field: string, builtins: readonly string[]): Kind<F> {
  return { field, builtins, factories: new Map() };
}

function find<F>(kind: Kind<F>, name: string, field = kind.field): F {
  const factory = kind.factories.get(name);
  if (factory) return factory;
  const registered = [...kind.factories.keys()];
  throw new WinnowError(
    'E_CONFIG_INVALID',
    `${JSON.stringify(name)} is neither built in (${kind.builtins.join(', ')}) nor registered (${registered.length > 0 ? registered.join(', ') : 'none'})`,
    { field, hint: 'register it with ProviderRegistry and pass the registry to openPipeline' },
  );
}

/** An empty registry: only the built-in providers and stages. */
export function createRegistry(): ProviderRegistry {
  return new ProviderRegistry();
}
