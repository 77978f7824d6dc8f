export type { ChunkHit, SourceChunk } from './chunk-hits.js';
export {
  chunkHitsFromCandidates,
  chunkLevelScores,
  documentRunFromChunkHits,
  isSourceChunk,
  sourceChunkOf,
} from './chunk-hits.js';
export { evaluateRun } from './evaluate.js';
export * from './harness/index.js';
export type { BeirDataset, BeirDocument, BeirQuery, LoadBeirOptions } from './io/beir.js';
export { listBeirSplits, loadBeirDataset, readBeirCorpus, readBeirQueries } from './io/beir.js';
export type { NumberedLine } from './io/lines.js';
export { readLineBatches, readLines } from './io/lines.js';
export type { QrelsFormat, ReadQrelsOptions, WriteQrelsOptions } from './io/qrels.js';
export { formatQrels, readQrels, writeQrels } from './io/qrels.js';
export type { WriteTrecRunOptions } from './io/trec-run.js';
export { formatTrecRun, readTrecRun, writeTrecRun } from './io/trec-run.js';
export type { Measure, MeasureKind } from './measures.js';
export { parseMeasure, parseMeasures } from './measures.js';
export { RELEVANCE_LEVEL } from './metrics.js';
export { rankDocuments } from './ranking.js';
export type { BootstrapOptions, ConfidenceInterval } from './stats/bootstrap.js';
export { bootstrapCi, pairedBootstrapCi } from './stats/bootstrap.js';
export type { Comparison, ComparisonOptions, PairedValues } from './stats/compare.js';
export { compareEvaluations, pairPerQuery } from './stats/compare.js';
export { logGamma, regularizedIncompleteBeta, studentTCdf, studentTTwoSided } from './stats/incomplete-beta.js';
export { seededShuffle } from './stats/random.js';
export type { RandomisationOptions, RandomisationResult } from './stats/randomisation.js';
export { pairedRandomisationTest } from './stats/randomisation.js';
export type { TTestResult } from './stats/t-test.js';
export { pairedTTest } from './stats/t-test.js';
export type { Evaluation, Qrels, QueryCounts, Run } from './types.js';
