import type { Generator, QueryTransform } from '@winnow/core';

export interface MultiQueryOptions {
  /** Extra phrasings asked of the generator (the original query is always kept first). Default 3. */
  queries?: number;
}

/**
 * Multi-query expansion: asks a Generator for other phrasings of the question, one per line; recall runs for each
 * and the lists are fused by reciprocal rank. Off unless configured: it costs a generation per query.
 */
export function multiQueryExpansion(generator: Generator, options: MultiQueryOptions = {}): QueryTransform {
  const count = options.queries ?? 3;
  return {
    name: 'multi-query',
    async transform(query, callOptions = {}) {
      const generation = await generator.generate(
        [
          {
            role: 'system',
            content: `Rewrite the user's search question in ${count} different ways that could match relevant passages. Answer with one rewrite per line and nothing else.`,
          },
          { role: 'user', content: query },
        ],
        callOptions,
      );
      const rewrites = generation.text
        .split('\n')
        .map((line) => line.replace(/^\s*(?:\d+[.)]|[-*•])\s*/, '').trim())
        .filter((line) => line.length > 0 && line !== query);
      return [query, ...new Set(rewrites)].slice(0, count + 1);
    },
  };
}
