import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** pnpm's documentation (2025-03-31) from the shared corpora: real Markdown with front matter and headings. */
export const MARKDOWN_OLD = fileURLToPath(
  new URL('../../../../../shared/corpora/markdown-versions/old', import.meta.url),
);

export function copyMarkdown(to: string, names: readonly string[]): void {
  mkdirSync(to, { recursive: true });
  for (const name of names) cpSync(join(MARKDOWN_OLD, name), join(to, name));
}
