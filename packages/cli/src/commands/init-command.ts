import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { WinnowError } from '@winnow/core';
import type { Output } from '../output.js';
import { DEFAULT_CONFIG_FILE } from '../settings.js';
import { CONFIG_TEMPLATE } from '../template.js';

/** `winnow init`: writes a commented winnow.config.yaml (never over an existing one unless --force). */
export async function runInit(
  options: { force?: boolean; json?: boolean; file?: string },
  out: Output,
): Promise<number> {
  const file = resolve(options.file ?? DEFAULT_CONFIG_FILE);
  if (existsSync(file) && !options.force) {
    throw new WinnowError('E_CONFIG_INVALID', 'already exists; use --force to overwrite it', { file });
  }
  await writeFile(file, CONFIG_TEMPLATE);
  if (out.json) out.result(JSON.stringify({ command: 'init', file }));
  else out.result(`wrote ${file}\nnext: winnow index <folder>, then winnow query "<question>"`);
  return 0;
}
