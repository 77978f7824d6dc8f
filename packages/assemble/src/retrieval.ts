import {
  builtinQueryTransformOptionSchemas,
  builtinStageOptionSchemas,
  type CandidateStage,
  type Embedder,
  type Generator,
  type PipelineConfig,
  type Principal,
  type QueryTransform,
  type Reranker,
  type Retriever,
  type StageSpec,
  type VectorStore,
  WinnowError,
} from '@winnow/core';
import {
  createRetriever,
  dedupeStage,
  defaultStages,
  fuseStage,
  type MetadataBoost,
  metadataBoostStage,
  mmrStage,
  multiQueryExpansion,
  rerankStage,
} from '@winnow/pipeline';
import type { BuildOptions } from './providers.js';
import { createRegistry, type StageBuildContext } from './registry.js';

export interface RetrieverComponents {
  embedder: Embedder;
  store: VectorStore;
  reranker?: Reranker | undefined;
  /** For a query transform that generates (multi-query). */
  generator?: Generator | undefined;
  /** The principal of retrievals that name none (e.g. an evaluation run as one user); see core's `canAccess`. */
  principal?: Principal | undefined;
}

/** The retrieval config → a retriever: recall settings as configured, stages and query transform by name. */
export async function createRetrieverFromConfig(
  config: PipelineConfig,
  components: RetrieverComponents,
  options: BuildOptions = {},
): Promise<Retriever> {
  const context: StageBuildContext = {
    config,
    baseDir: options.baseDir ?? process.cwd(),
    reranker: components.reranker,
    generator: components.generator,
  };
  const stages = await stagesFromConfig(config, context, options);
  const queryTransform = await queryTransformFromConfig(config, context, options);
  return createRetriever({
    embedder: components.embedder,
    store: components.store,
    recall: config.recall,
    stages,
    k: config.rerank.k,
    ...(queryTransform === undefined ? {} : { queryTransform }),
    ...(components.principal === undefined ? {} : { principal: components.principal }),
  });
}

const stageOptions = (use: keyof typeof builtinStageOptionSchemas, spec: StageSpec) =>
  builtinStageOptionSchemas[use].parse(spec.options);

/** `retrieval.stages` in order, or today's default (dedupe, rerank with a reranker, fuse). */
export async function stagesFromConfig(
  config: PipelineConfig,
  context: StageBuildContext,
  options: BuildOptions = {},
): Promise<CandidateStage[]> {
  const rerank = { depth: config.rerank.depth, batchSize: config.rerank.batchSize };
  const specs = config.retrieval.stages;
  if (specs === undefined) return defaultStages({ reranker: context.reranker, rerank, fusion: config.fusion });
  const stages: CandidateStage[] = [];
  for (const [i, spec] of specs.entries()) {
    const field = `retrieval.stages.${i}`;
    switch (spec.use) {
      case 'dedupe':
        stages.push(dedupeStage(stageOptions('dedupe', spec) as { minOverlap?: number }));
        break;
      case 'rerank':
        if (!context.reranker) {
          throw new WinnowError('E_CONFIG_INVALID', 'a rerank stage needs a reranker (rerank.provider is none)', {
            field,
          });
        }
        stages.push(rerankStage(context.reranker, rerank));
        break;
      case 'fuse':
        stages.push(fuseStage(config.fusion));
        break;
      case 'mmr':
        stages.push(mmrStage(stageOptions('mmr', spec) as { lambda: number; depth?: number }));
        break;
      case 'metadata-boost':
        stages.push(metadataBoostStage(stageOptions('metadata-boost', spec) as { boosts: MetadataBoost[] }));
        break;
      default: {
        const factory = (options.registry ?? createRegistry()).stageFactory(spec.use, `${field}.use`);
        stages.push(await factory(spec.options, context));
      }
    }
  }
  return stages;
}

/** `retrieval.queryTransform`, or none. */
export async function queryTransformFromConfig(
  config: PipelineConfig,
  context: StageBuildContext,
  options: BuildOptions = {},
): Promise<QueryTransform | undefined> {
  const spec = config.retrieval.queryTransform;
  if (spec === undefined) return undefined;
  if (spec.use === 'multi-query') {
    if (!context.generator) {
      throw new WinnowError('E_CONFIG_INVALID', 'multi-query expansion needs a generator (set generate.baseURL)', {
        field: 'retrieval.queryTransform',
      });
    }
    const parsed = builtinQueryTransformOptionSchemas['multi-query'].parse(spec.options);
    return multiQueryExpansion(context.generator, parsed.queries === undefined ? {} : { queries: parsed.queries });
  }
  const factory = (options.registry ?? createRegistry()).queryTransformFactory(
    spec.use,
    'retrieval.queryTransform.use',
  );
  return factory(spec.options, context);
}
