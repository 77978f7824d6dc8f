import type {
  BuiltContext,
  Candidate,
  ContextBuilder,
  ContextSource,
  GenerateOptions,
  Generation,
  Generator,
} from '@winnow/core';
import { throwIfAborted } from '@winnow/core';
import { resolveCitations } from './citations.js';
import type { EventStreamingGenerator, GenerationEvent } from './generator.js';

export interface AnswerRequest {
  question: string;
  /** Reranked candidates, best first. */
  candidates: readonly Candidate[];
  contextBuilder: ContextBuilder;
  generator: Generator;
  signal?: AbortSignal;
  /** Overrides of the generator's own settings for this call. */
  temperature?: number;
  /** Default: the generator's own maximum, capped at the room the prompt left (`answerTokens`). */
  maxTokens?: number;
}

export interface Answer {
  question: string;
  text: string;
  /** Every source given to the model, labelled [1]…[n]. */
  sources: ContextSource[];
  /** The sources the answer cites, in order of first citation. */
  citations: ContextSource[];
  /** Numbers the answer cites that name no source: flag or strip them before showing the answer. */
  invalidCitations: number[];
  /** Prompt tokens as counted by the context builder. */
  promptTokens: number;
  /** Candidates left out for lack of room. */
  dropped: number;
  finishReason?: string;
  /** Token usage as the server reported it, when it did. */
  usage?: Generation['usage'];
}

export type AnswerEvent =
  /** First: the sources chosen, so a UI can show them while the answer streams. */
  | { type: 'context'; sources: ContextSource[]; promptTokens: number; dropped: number }
  | { type: 'delta'; text: string }
  | { type: 'done'; answer: Answer };

/** Builds the prompt, generates the answer and resolves its citations. */
export async function answer(request: AnswerRequest): Promise<Answer> {
  const context = await buildContext(request);
  const generation = await request.generator.generate(context.messages, generateOptions(request, context));
  return assemble(request.question, context, generation);
}

/** Like `answer`, streaming: one `context` event, `delta` events as text arrives, then `done` with the answer. */
export async function* streamAnswer(request: AnswerRequest): AsyncGenerator<AnswerEvent> {
  const context = await buildContext(request);
  yield { type: 'context', sources: context.sources, promptTokens: context.promptTokens, dropped: context.dropped };
  let text = '';
  let end: Extract<GenerationEvent, { type: 'end' }> | undefined;
  for await (const event of generationEvents(request.generator, context, generateOptions(request, context))) {
    if (event.type === 'delta') {
      text += event.text;
      yield event;
    } else {
      end = event;
    }
  }
  const generation: Generation = { text };
  if (end?.finishReason !== undefined) generation.finishReason = end.finishReason;
  if (end?.usage !== undefined) generation.usage = end.usage;
  yield { type: 'done', answer: assemble(request.question, context, generation) };
}

function buildContext(request: AnswerRequest): Promise<BuiltContext> {
  throwIfAborted(request.signal, 'answering');
  return request.contextBuilder.build(request.question, request.candidates, { signal: request.signal });
}

/** Finish reason and usage come only from generators that report the end of a stream. */
function generationEvents(
  generator: Generator,
  context: BuiltContext,
  options: GenerateOptions,
): AsyncIterable<GenerationEvent> {
  if (hasStreamEvents(generator)) return generator.streamEvents(context.messages, options);
  return (async function* () {
    for await (const text of generator.stream(context.messages, options)) yield { type: 'delta' as const, text };
  })();
}

function hasStreamEvents(generator: Generator): generator is EventStreamingGenerator {
  return typeof (generator as Partial<EventStreamingGenerator>).streamEvents === 'function';
}

/**
 * The answer may not outgrow the room the prompt left for it: without an explicit `maxTokens`, the generator's
 * own maximum is capped at the context's `answerTokens` (when the builder reports it, as ours does).
 */
function generateOptions(request: AnswerRequest, context: BuiltContext): GenerateOptions {
  const options: GenerateOptions = {};
  if (request.signal !== undefined) options.signal = request.signal;
  if (request.temperature !== undefined) options.temperature = request.temperature;
  const reserved = numberField(context, 'answerTokens');
  if (request.maxTokens !== undefined) options.maxTokens = request.maxTokens;
  else if (reserved !== undefined) {
    options.maxTokens = Math.min(reserved, numberField(request.generator, 'maxTokens') ?? reserved);
  }
  return options;
}

function numberField(value: object, key: string): number | undefined {
  const field: unknown = (value as Record<string, unknown>)[key];
  return typeof field === 'number' && Number.isFinite(field) ? field : undefined;
}

function assemble(question: string, context: BuiltContext, generation: Generation): Answer {
  const { cited, invalid } = resolveCitations(generation.text, context.sources);
  const result: Answer = {
    question,
    text: generation.text,
    sources: context.sources,
    citations: cited,
    invalidCitations: invalid,
    promptTokens: context.promptTokens,
    dropped: context.dropped,
  };
  if (generation.finishReason !== undefined) result.finishReason = generation.finishReason;
  if (generation.usage !== undefined) result.usage = generation.usage;
  return result;
}
