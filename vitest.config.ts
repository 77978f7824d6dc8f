import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const sharedModels = fileURLToPath(new URL('../shared/models', import.meta.url));

export default defineConfig({
  resolve: {
    // Workspace packages export "source" → src/index.ts, so tests run against sources without a build.
    conditions: ['source'],
  },
  ssr: {
    resolve: { conditions: ['source'], externalConditions: ['source'] },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Model and database tests are CPU-heavy; machines here have two cores.
    pool: 'forks',
    maxWorkers: 2,
    env: {
      // Defaults for a developer checkout; .ci/run exports both explicitly.
      WINNOW_MODELS: process.env.WINNOW_MODELS ?? (existsSync(sharedModels) ? sharedModels : ''),
      DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://winnow:winnow@127.0.0.1:5432/winnow_test',
    },
  },
});
