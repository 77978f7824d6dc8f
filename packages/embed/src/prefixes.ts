/** Query and document prefixes a model family was trained with. */
export interface FamilyPrefixes {
  query: string;
  document: string;
}

const BGE_EN_QUERY = 'Represent this sentence for searching relevant passages: ';
const BGE_ZH_QUERY = '为这个句子生成表示以用于检索相关文章：';

/**
 * Known prefixes by model name, for folders whose sentence-transformers config does not list prompts:
 * e5 models need `query: ` / `passage: `; bge v1/v1.5 want an instruction before queries only (bge-m3 wants none).
 */
export function familyPrefixes(modelName: string): FamilyPrefixes {
  const name = modelName.toLowerCase().split('/').pop() ?? '';
  if (/(^|[-_])e5([-_]|$)/.test(name)) return { query: 'query: ', document: 'passage: ' };
  if (name.startsWith('bge-') && !name.startsWith('bge-m3') && !name.includes('reranker')) {
    return { query: /-zh/.test(name) ? BGE_ZH_QUERY : BGE_EN_QUERY, document: '' };
  }
  return { query: '', document: '' };
}
