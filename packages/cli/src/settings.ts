import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { applyEnvironment, loadConfigFile, type PipelineConfig, parseConfig } from '@winnow/core';

export const DEFAULT_CONFIG_FILE = 'winnow.config.yaml';

export interface LoadedSettings {
  config: PipelineConfig;
  /** The file read, or undefined when defaults were used. */
  file: string | undefined;
  /** Relative paths in the config (store path, ingest root) are resolved from here. */
  baseDir: string;
}

/**
 * Configuration for a command: the file named by --config, else ./winnow.config.yaml when present, else the
 * defaults; then environment variables (DATABASE_URL, OPENAI_BASE_URL, OPENAI_API_KEY) override the file.
 * WINNOW_MODELS is read where models are resolved.
 */
export async function loadSettings(configPath: string | undefined, cwd = process.cwd()): Promise<LoadedSettings> {
  const candidate = configPath ?? resolve(cwd, DEFAULT_CONFIG_FILE);
  const useFile = configPath !== undefined || existsSync(candidate);
  const config = useFile ? await loadConfigFile(resolve(cwd, candidate)) : parseConfig({}, '<defaults>');
  const withEnv = applyEnvironment(config, process.env);
  return {
    config: withEnv,
    file: useFile ? resolve(cwd, candidate) : undefined,
    baseDir: useFile ? dirname(resolve(cwd, candidate)) : cwd,
  };
}
