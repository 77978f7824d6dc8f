import { defineConfig } from 'vitest/config';

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
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Model and database tests are memory- and CPU-heavy; two cores here.
    pool: 'forks',
    maxWorkers: 2,
  },
});
