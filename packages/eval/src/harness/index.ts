export { beirSources, parseBeirSource } from './corpus.js';
export {
  type ConfigurationSettings,
  chosenByText,
  describeConfiguration,
  SETTINGS_COLUMNS,
} from './describe.js';
export { assignFolds, DEFAULT_FOLD_SEED, datasetSubset } from './folds.js';
export { renderHtmlReport } from './html.js';
export { type IndexedCorpus, indexCorpus, indexKey } from './index-cache.js';
export { type LatencySummary, percentile, summarise } from './latency.js';
export {
  compareWithReferences,
  loadReferenceFigures,
  matchReferenceFigures,
  parseReferenceFigures,
  type ReferenceComparison,
  type ReferenceFigure,
  type ReferenceFigures,
} from './references.js';
export {
  checkRegressions,
  checkSavedRunMatches,
  loadSavedRun,
  type RegressionCheck,
  type RegressionOptions,
  type SavedRun,
} from './regression.js';
export * from './run.js';
export {
  chooseLexicalWeight,
  DEFAULT_LEXICAL_WEIGHTS,
  type RecallLists,
  type RecallTuningResult,
} from './tune-recall.js';
export { resultsToJson, safeFileName, writeEvalOutputs } from './write.js';
