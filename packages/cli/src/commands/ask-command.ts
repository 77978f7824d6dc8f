import { createContextBuilderFromConfig } from '@winnow/assemble';
import { streamAnswer } from '@winnow/prompt';
import { bold, type Output } from '../output.js';
import { type PrincipalOptions, principalFrom } from '../principal.js';
import { openConfiguredPipeline } from './open.js';
import { describeCandidate } from './query-command.js';

export interface AskCommandOptions extends PrincipalOptions {
  config?: string;
  json?: boolean;
}

export const NO_GENERATOR_HINT =
  'No generation endpoint is configured, so here are the retrieved sources. To get answers, set generate.baseURL ' +
  'in winnow.config.yaml (e.g. a vLLM server: http://localhost:8000/v1, with generate.model its served model name) ' +
  'or OPENAI_BASE_URL / OPENAI_API_KEY in the environment.';

/** `winnow ask "<question>"`: retrieves, streams the answer, then lists the cited sources. */
export async function runAsk(question: string, options: AskCommandOptions, out: Output): Promise<number> {
  const principal = principalFrom(options);
  const opened = await openConfiguredPipeline(options.config);
  try {
    const result = await opened.retriever.retrieve(question, principal === undefined ? {} : { principal });
    const generator = opened.generator();
    if (!generator) {
      if (out.json) {
        out.result(
          JSON.stringify(
            {
              question,
              answer: null,
              hint: NO_GENERATOR_HINT,
              sources: result.candidates.map((c) => ({
                uri: c.document?.uri,
                documentId: c.chunk.documentId,
                page: c.chunk.provenance.page,
                headingPath: c.chunk.headingPath,
                text: c.chunk.text,
              })),
            },
            null,
            2,
          ),
        );
      } else {
        out.info(NO_GENERATOR_HINT);
        out.result(result.candidates.map(describeCandidate).join('\n'));
      }
      return 0;
    }
    const contextBuilder = await createContextBuilderFromConfig(opened.config);
    for await (const event of streamAnswer({ question, candidates: result.candidates, contextBuilder, generator })) {
      if (event.type === 'delta' && !out.json) process.stdout.write(event.text);
      if (event.type === 'done') {
        const { answer } = event;
        if (out.json) {
          out.result(JSON.stringify(answer, null, 2));
        } else {
          process.stdout.write('\n\n');
          out.result(bold('Sources'));
          for (const s of answer.citations) {
            const where = [s.page === undefined ? undefined : `p. ${s.page}`, s.headingPath.join(' › ') || undefined]
              .filter(Boolean)
              .join(' · ');
            out.result(`[${s.label}] ${s.title ?? s.documentId} — ${s.uri}${where ? ` (${where})` : ''}`);
          }
          if (answer.invalidCitations.length > 0) {
            out.result(
              `warning: the answer cites sources that do not exist: ${answer.invalidCitations.map((n) => `[${n}]`).join(' ')}`,
            );
          }
        }
      }
    }
    return 0;
  } finally {
    await opened.close();
  }
}
