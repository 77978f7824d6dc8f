import { type OpenedPipeline, type OpenPipelineOptions, openPipeline } from '@winnow/assemble';
import { loadSettings } from '../settings.js';

/** The pipeline a command works with, from the configuration file; `close()` releases the models and the database. */
export async function openConfiguredPipeline(
  configPath: string | undefined,
  options: Omit<OpenPipelineOptions, 'baseDir'> = {},
): Promise<OpenedPipeline> {
  const { config, baseDir } = await loadSettings(configPath);
  return openPipeline(config, { ...options, baseDir });
}
