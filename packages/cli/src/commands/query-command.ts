import type { Candidate } from '@winnow/core';
import { bold, dim, type Output } from '../output.js';
import { type PrincipalOptions, principalFrom } from '../principal.js';
import { openConfiguredPipeline } from './open.js';

export interface QueryCommandOptions extends PrincipalOptions {
  config?: string;
  json?: boolean;
  k?: number;
}

export function describeCandidate(c: Candidate, index: number): string {
  const scores = Object.entries(c.scores)
    .map(([stage, value]) => `${stage} ${Number(value).toFixed(4)}`)
    .join(' · ');
  const where = [
    c.document?.uri ?? c.chunk.documentId,
    c.chunk.provenance.page === undefined ? undefined : `p. ${c.chunk.provenance.page}`,
    c.chunk.headingPath.length > 0 ? c.chunk.headingPath.join(' › ') : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  const text = c.chunk.text.replace(/\s+/g, ' ').slice(0, 240);
  return `${bold(`${index + 1}.`)} ${where}\n   ${dim(scores)}\n   ${text}${c.chunk.text.length > 240 ? '…' : ''}`;
}

/** `winnow query "<text>"`: ranked chunks with every stage's score, heading path, page and uri. */
export async function runQuery(text: string, options: QueryCommandOptions, out: Output): Promise<number> {
  const principal = principalFrom(options);
  const opened = await openConfiguredPipeline(options.config);
  try {
    const result = await opened.retriever.retrieve(text, {
      ...(options.k === undefined ? {} : { k: options.k }),
      ...(principal === undefined ? {} : { principal }),
    });
    for (const warning of result.warnings ?? []) out.info(`warning: ${warning}`);
    if (out.json) {
      out.result(
        JSON.stringify(
          {
            query: result.query,
            recalled: result.recalled,
            timings: result.timings,
            ...(result.warnings === undefined ? {} : { warnings: result.warnings }),
            results: result.candidates.map((c) => ({
              chunkId: c.chunk.id,
              documentId: c.chunk.documentId,
              uri: c.document?.uri,
              title: c.document?.title,
              page: c.chunk.provenance.page,
              headingPath: c.chunk.headingPath,
              scores: c.scores,
              ranks: c.ranks,
              text: c.chunk.text,
            })),
          },
          null,
          2,
        ),
      );
    } else if (result.candidates.length === 0) {
      out.result('No results: the index is empty or nothing matched (run `winnow index <path>` first).');
    } else {
      out.result(result.candidates.map(describeCandidate).join('\n'));
      out.info(dim(`recalled ${result.recalled} · ${result.timings.totalMs.toFixed(0)} ms`));
    }
    return 0;
  } finally {
    await opened.close();
  }
}
