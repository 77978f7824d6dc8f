import type { ConfigurationResult } from './run.js';

/** What a configuration ran with, as short texts for the CLI table and the HTML report (one source for both). */
export interface ConfigurationSettings {
  embedder: string;
  recall: string;
  reranker: string;
  rerankDepth: string;
  rerankMaxTokens: string;
  fusion: string;
  chosenBy: string;
}

/** The columns, in order, with their headings. */
export const SETTINGS_COLUMNS: readonly (readonly [keyof ConfigurationSettings, string])[] = [
  ['embedder', 'embedder'],
  ['recall', 'recall (mode, k, weights)'],
  ['reranker', 'reranker'],
  ['rerankDepth', 'rerank depth'],
  ['rerankMaxTokens', 'max tokens'],
  ['fusion', 'fusion (method, rerank weight)'],
  ['chosenBy', 'weights chosen'],
];

const NONE = '–';
const distinct = (values: readonly string[]) => [...new Set(values)];

export function describeConfiguration(
  result: Pick<ConfigurationResult, 'config' | 'chosenBy' | 'folds' | 'tuning' | 'recallTuning'>,
): ConfigurationSettings {
  const { config, folds } = result;
  const { recall, rerank, fusion, embed } = config;
  const reranked = rerank.provider !== 'none';
  // Under k-fold the scored config is the one as written; each fold's own choice is what ran on its queries.
  const perFold = (values: string[]) =>
    values.length === 1 ? (values[0] as string) : `per fold: ${values.join(' · ')}`;
  const lexicalWeights = folds?.every((f) => f.recallTuning)
    ? perFold(folds.map((f) => String(f.recallTuning?.lexicalWeight)))
    : String(recall.lexicalWeight);
  const recallText =
    recall.mode === 'hybrid'
      ? `hybrid k=${recall.k} (dense ${recall.denseWeight}, lexical ${lexicalWeights}, rrf k=${recall.rrfK})`
      : `${recall.mode} k=${recall.k}`;
  const fusionText = !reranked
    ? NONE
    : folds?.every((f) => f.tuning)
      ? perFold(folds.map((f) => fusionLabel(f.tuning?.chosen.method ?? '', f.tuning?.chosen.weight ?? 0)))
      : fusionLabel(fusion.method, fusion.weight);
  return {
    embedder: recall.mode === 'lexical' ? `${NONE} (lexical recall)` : `${embed.provider} ${embed.model}`,
    recall: recallText,
    reranker: reranked ? `${rerank.provider} ${rerank.model}` : NONE,
    rerankDepth: reranked ? String(Math.min(rerank.depth, recall.k)) : NONE,
    rerankMaxTokens: reranked ? (rerank.maxTokens === undefined ? "model's limit" : String(rerank.maxTokens)) : NONE,
    fusion: fusionText,
    chosenBy: chosenByText(result),
  };
}

function fusionLabel(method: string, weight: number): string {
  return method === 'rerank' ? 'rerank order' : `${method} ${weight}`;
}

/** "as written", "tuned on train (150 queries)" or "k-fold (5 folds, seed 42)". */
export function chosenByText(result: Pick<ConfigurationResult, 'chosenBy' | 'tuning' | 'recallTuning'>): string {
  const { chosenBy } = result;
  switch (chosenBy.how) {
    case 'as-written':
      return chosenBy.reason === 'no tuning asked' ? 'as written' : `as written (${chosenBy.reason})`;
    case 'split': {
      const queries = distinct(
        [result.recallTuning?.queries, result.tuning?.queries].flatMap((q) => (q === undefined ? [] : [String(q)])),
      );
      return `tuned on ${chosenBy.split}${queries.length > 0 ? ` (${queries.join('/')} queries)` : ''}`;
    }
    case 'k-fold':
      return `k-fold (${chosenBy.folds} folds of the scored split, seed ${chosenBy.seed})`;
  }
}
