/**
 * Enforces the layering of workspace packages: core ← stages ← pipeline ← assemble ← eval/langchain ← cli.
 * A stage may depend only on core; no stage may depend on another stage. The pipeline composes contracts and depends
 * on core alone; assemble is the one package that builds stages from configuration. Cycles inside sources are
 * checked by dpdm.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const LAYER: Record<string, number> = {
  core: 0,
  ingest: 1,
  chunk: 1,
  embed: 1,
  pgvector: 1,
  rerank: 1,
  prompt: 1,
  pipeline: 2,
  assemble: 3,
  distributed: 3,
  eval: 4,
  langchain: 4,
  cli: 5,
};

const root = new URL('..', import.meta.url).pathname;
const problems: string[] = [];
for (const dir of readdirSync(join(root, 'packages'))) {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as {
    name: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const self = manifest.name.replace('@winnow/', '');
  const layer = LAYER[self];
  if (layer === undefined) {
    problems.push(`${manifest.name}: not in the layer table of scripts/check-deps.ts`);
    continue;
  }
  const deps = { ...manifest.dependencies, ...manifest.devDependencies };
  // The composition knows only the contracts: stages reach it through core's interfaces.
  if (self === 'pipeline') {
    for (const dep of Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith('@winnow/'))) {
      if (dep !== '@winnow/core') problems.push(`${manifest.name} must depend on @winnow/core alone, not ${dep}`);
    }
  }
  for (const dep of Object.keys(deps).filter((name) => name.startsWith('@winnow/'))) {
    const other = dep.replace('@winnow/', '');
    const otherLayer = LAYER[other];
    if (otherLayer === undefined) problems.push(`${manifest.name} depends on unknown ${dep}`);
    else if (otherLayer >= layer)
      problems.push(`${manifest.name} (layer ${layer}) must not depend on ${dep} (layer ${otherLayer})`);
  }
}
if (problems.length > 0) {
  console.error(`package layering violated:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`package layering ok (${Object.keys(LAYER).length} packages)`);
