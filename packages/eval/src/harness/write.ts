import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeTrecRun } from '../io/trec-run.js';
import { renderHtmlReport } from './html.js';
import type { EvalResults } from './run.js';

/** A configuration's name as a file name (run and per-query files). */
export const safeFileName = (name: string) => name.replace(/[^A-Za-z0-9._+-]+/g, '_');

/** What `results.json` holds: everything but the runs themselves (they go to run files). */
export function resultsToJson(results: EvalResults): unknown {
  return {
    ...results,
    configurations: results.configurations.map(({ run: _run, perQuery: _perQuery, ...rest }) => ({
      ...rest,
      ...rest.metrics,
    })),
  };
}

/**
 * Writes `results.json` (each configuration by name with its mean metrics as top-level keys such as `ndcg@10`),
 * `runs/<name>.trec`, `per-query/<name>.json` and the self-contained `report.html` into `outDir`.
 */
export async function writeEvalOutputs(results: EvalResults, outDir: string): Promise<string[]> {
  await mkdir(join(outDir, 'runs'), { recursive: true });
  await mkdir(join(outDir, 'per-query'), { recursive: true });
  const files: string[] = [];
  const write = async (path: string, content: string) => {
    await writeFile(path, content);
    files.push(path);
  };
  await write(join(outDir, 'results.json'), `${JSON.stringify(resultsToJson(results), null, 2)}\n`);
  for (const config of results.configurations) {
    const safe = safeFileName(config.name);
    const runFile = join(outDir, 'runs', `${safe}.trec`);
    await writeTrecRun(runFile, config.run, { tag: safe });
    files.push(runFile);
    await write(join(outDir, 'per-query', `${safe}.json`), `${JSON.stringify(config.perQuery, null, 1)}\n`);
  }
  await write(join(outDir, 'report.html'), renderHtmlReport(results));
  return files;
}
