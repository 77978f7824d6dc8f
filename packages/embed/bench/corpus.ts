import { createReadStream, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { findSharedModelsDir } from '@winnow/core';

/** SciFact abstracts (title + text), read from the shared BEIR copy beside the checkout. */
export async function readScifact(limit: number): Promise<string[]> {
  const models = process.env.WINNOW_MODELS || findSharedModelsDir(process.cwd());
  const path = join(dirname(models ?? '.'), 'datasets', 'scifact', 'corpus.jsonl.gz');
  if (!existsSync(path)) throw new Error(`SciFact corpus not found at ${path} (set WINNOW_MODELS to shared/models)`);
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()) });
  const texts: string[] = [];
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const record = JSON.parse(line) as { title?: string; text?: string };
    texts.push(`${record.title ?? ''} ${record.text ?? ''}`.trim());
    if (texts.length >= limit) {
      lines.close();
      break;
    }
  }
  return texts;
}

/** The best of several timed runs in ms (the machine is shared, so the minimum is the least disturbed). */
export async function bestOf(repeats: number, run: () => Promise<unknown>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i += 1) {
    const start = performance.now();
    await run();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

export function pad(value: string | number, width: number): string {
  return String(value).padStart(width);
}
