import { resolve } from 'node:path';
import { createEmbedderFromConfig, createGeneratorFromConfig, createRerankerFromConfig } from '@winnow/assemble';
import { isWinnowError, type PipelineConfig, resolveModel } from '@winnow/core';
import { createPgDriver, createPgliteDriver } from '@winnow/pgvector';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import type { Output } from '../output.js';
import { loadSettings } from '../settings.js';
import { checkExecutionProviders } from './doctor-devices.js';

export interface Check {
  name: string;
  ok: boolean;
  /** What was found. */
  detail: string;
  /** How to fix it, when not ok. */
  hint?: string;
  /** A warning does not fail the run. */
  warning?: boolean;
  exitCode?: number;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
const codeOf = (error: unknown) => (isWinnowError(error) ? exitCodeFor(error.code) : EXIT.failure);

async function checkDatabase(config: PipelineConfig, baseDir: string): Promise<Check> {
  const name = 'database';
  try {
    const driver =
      config.store.driver === 'postgres'
        ? createPgDriver({ url: config.store.url ?? process.env.DATABASE_URL ?? '', setting: 'DATABASE_URL' })
        : await createPgliteDriver({ path: resolve(baseDir, config.store.path) });
    try {
      const { rows } = await driver.query<{ default_version: string | null; installed_version: string | null }>(
        "select default_version, installed_version from pg_available_extensions where name = 'vector'",
      );
      const row = rows[0];
      const where =
        config.store.driver === 'postgres' ? 'PostgreSQL server' : `PGlite at ${resolve(baseDir, config.store.path)}`;
      if (!row) {
        return {
          name,
          ok: false,
          detail: `${where}: pgvector is not installed`,
          hint: 'install pgvector >= 0.8 (scripts/setup-postgres.sh does this on Debian)',
          exitCode: EXIT.database,
        };
      }
      const version = row.installed_version ?? row.default_version ?? '?';
      const [major = 0, minor = 0] = version.split('.').map(Number);
      const recent = major > 0 || minor >= 8;
      return {
        name,
        ok: recent,
        detail: `${where} reachable, pgvector ${version}${row.installed_version ? '' : ' (available, created on first use)'}`,
        ...(recent
          ? {}
          : {
              hint: 'upgrade pgvector to 0.8 or later (filtered HNSW queries need iterative scans)',
              exitCode: EXIT.database,
            }),
      };
    } finally {
      await driver.close();
    }
  } catch (error) {
    return {
      name,
      ok: false,
      detail: message(error),
      hint:
        config.store.driver === 'postgres'
          ? 'check DATABASE_URL and that the server runs (bash scripts/setup-postgres.sh)'
          : 'check store.path is writable',
      exitCode: EXIT.database,
    };
  }
}

async function checkEmbedder(config: PipelineConfig): Promise<Check[]> {
  const location = config.embed.provider === 'openai' ? undefined : resolveModel(config.embed.model);
  const found: Check = {
    name: 'embedding model',
    ok: true,
    detail:
      location === undefined
        ? `${config.embed.model} at ${config.embed.baseURL ?? '(no baseURL)'}`
        : location.kind === 'local'
          ? `${config.embed.model}: folder ${location.dir}`
          : `${config.embed.model}: not found locally, will load from the Hugging Face hub`,
  };
  try {
    const embedder = await createEmbedderFromConfig(config.embed);
    try {
      const batch = await embedder.embed(['winnow doctor'], { inputType: 'query' });
      const device = (embedder as { device?: string }).device;
      return [
        found,
        await checkExecutionProviders(embedder),
        {
          name: 'embedding',
          ok: true,
          detail: `${embedder.modelId}: ${batch.vectors[0]?.length} dimensions, max ${embedder.maxTokens} tokens${device ? `, device ${device}` : ''}`,
        },
      ];
    } finally {
      await embedder.close?.();
    }
  } catch (error) {
    return [
      {
        ...found,
        ok: false,
        detail: message(error),
        hint: 'set WINNOW_MODELS to a folder of model folders, or embed.model to a model folder path',
        exitCode: codeOf(error),
      },
    ];
  }
}

async function checkReranker(config: PipelineConfig): Promise<Check> {
  if (config.rerank.provider === 'none') {
    return {
      name: 'reranker',
      ok: true,
      warning: true,
      detail: 'none configured: results are in recall order',
      hint: 'set rerank.provider: transformers for two-stage retrieval',
    };
  }
  try {
    const reranker = await createRerankerFromConfig(config.rerank);
    try {
      const [score] = (await reranker?.score('what is winnow?', ['winnow is a retrieval framework'])) ?? [];
      const device = (reranker as { device?: string } | undefined)?.device;
      return {
        name: 'reranker',
        ok: true,
        detail: `${reranker?.modelId}: scored a test pair (${score?.toFixed(4)})${device ? `, device ${device}` : ''}`,
      };
    } finally {
      await reranker?.close?.();
    }
  } catch (error) {
    return {
      name: 'reranker',
      ok: false,
      detail: message(error),
      hint: 'check rerank.model (a folder under WINNOW_MODELS, a path, or a hub id)',
      exitCode: codeOf(error),
    };
  }
}

function checkGenerator(config: PipelineConfig): Check {
  const generator = createGeneratorFromConfig(config);
  return generator
    ? { name: 'generation', ok: true, detail: `${config.generate.model} at ${config.generate.baseURL ?? 'OpenAI'}` }
    : {
        name: 'generation',
        ok: true,
        warning: true,
        detail: 'no endpoint configured: `winnow ask` prints sources only',
        hint: 'set generate.baseURL (vLLM) or OPENAI_API_KEY',
      };
}

/**
 * `winnow doctor`: configuration, database and pgvector, the devices onnxruntime-node can open, each model and the
 * device it runs on, generation endpoint.
 */
export async function runDoctor(options: { config?: string; json?: boolean }, out: Output): Promise<number> {
  const checks: Check[] = [];
  let settings: Awaited<ReturnType<typeof loadSettings>> | undefined;
  try {
    settings = await loadSettings(options.config);
    checks.push({ name: 'config', ok: true, detail: settings.file ?? 'defaults (no winnow.config.yaml here)' });
  } catch (error) {
    checks.push({
      name: 'config',
      ok: false,
      detail: message(error),
      hint: 'fix the field named above, or run winnow init for a commented example',
      exitCode: EXIT.usage,
    });
  }
  if (settings) {
    checks.push(await checkDatabase(settings.config, settings.baseDir));
    checks.push(...(await checkEmbedder(settings.config)));
    checks.push(await checkReranker(settings.config));
    checks.push(checkGenerator(settings.config));
  }
  const failed = checks.filter((c) => !c.ok);
  if (out.json) {
    out.result(JSON.stringify({ ok: failed.length === 0, checks }, null, 2));
  } else {
    for (const c of checks) {
      const mark = !c.ok ? 'FAIL' : c.warning ? 'warn' : ' ok ';
      out.result(`[${mark}] ${c.name}: ${c.detail}${c.hint && (!c.ok || c.warning) ? `\n       fix: ${c.hint}` : ''}`);
    }
  }
  return failed[0]?.exitCode ?? (failed.length > 0 ? EXIT.failure : EXIT.ok);
}
