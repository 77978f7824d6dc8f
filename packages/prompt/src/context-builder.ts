import type { BuiltContext, CallOptions, Candidate, ChatMessage, ContextBuilder, TokenCounter } from '@winnow/core';
import { throwIfAborted, WinnowError } from '@winnow/core';
import { ContextEstimator } from './estimate.js';
import { arrange, CONTEXT_ORDERS, type ContextOrder } from './order.js';
import { NO_SOURCES_TEXT, type PromptTemplates, renderContext, renderMessages, resolveTemplates } from './render.js';
import { buildSources, type PackedSource, type RankedCandidate } from './sources.js';
import { countChatTokens } from './tokens.js';

export interface ContextBuilderOptions {
  /** Counts text in the generator's tokens: `createTiktokenCounter(model)` or the model's own tokenizer. */
  tokenCounter: TokenCounter;
  /**
   * Counts a whole chat prompt. Default: `countChatTokens` with OpenAI's per-message overhead. For a vLLM model,
   * pass one that applies the model's chat template and counts the result.
   */
  countMessages?: (messages: readonly ChatMessage[]) => number;
  /** The model's context window in tokens: prompt and answer together. */
  contextWindow: number;
  /** Tokens kept free for the answer. */
  answerTokens: number;
  /** Default 'score'. */
  order?: ContextOrder;
  /** Merge neighbouring chunks of one document into one source. Default true. */
  mergeAdjacent?: boolean;
  /** With `{{question}}` and `{{context}}` placeholders; see DEFAULT_SYSTEM_TEMPLATE. */
  systemTemplate?: string;
  /** Default DEFAULT_USER_TEMPLATE: the sources, then the question. */
  userTemplate?: string;
}

export interface PackedContext extends BuiltContext {
  sources: PackedSource[];
  /** Tokens the prompt may use: contextWindow - answerTokens. */
  budget: number;
  /** Tokens left for the answer; `answer` caps the generator's maximum at this. */
  answerTokens: number;
}

export interface PackingContextBuilder extends ContextBuilder {
  build(question: string, candidates: readonly Candidate[], options?: CallOptions): Promise<PackedContext>;
}

/**
 * Packs reranked candidates (best first) into the prompt budget, whole chunks only: a candidate that does not
 * fit is skipped and counted in `dropped`, and later, smaller ones may still fit. The budget is checked with
 * exact counts of the rendered prompt, so `promptTokens <= contextWindow - answerTokens` always holds.
 */
export function createContextBuilder(options: ContextBuilderOptions): PackingContextBuilder {
  const settings = resolveSettings(options);
  return {
    build: async (question, candidates, callOptions = {}) => {
      throwIfAborted(callOptions.signal, 'building the prompt');
      if (question.trim() === '') {
        throw new WinnowError('E_EMPTY_QUERY', 'the question is empty', { field: 'question' });
      }
      // Estimates off by more than the tolerance (an unusual tokenizer) only cost exact counts: pack again.
      return (
        pack(settings, question, candidates, false, callOptions.signal) ??
        (pack(settings, question, candidates, true, callOptions.signal) as PackedContext)
      );
    },
  };
}

interface Settings {
  counter: TokenCounter;
  countMessages: (messages: readonly ChatMessage[]) => number;
  budget: number;
  answerTokens: number;
  order: ContextOrder;
  mergeAdjacent: boolean;
  templates: PromptTemplates;
}

function resolveSettings(options: ContextBuilderOptions): Settings {
  for (const field of ['contextWindow', 'answerTokens'] as const) {
    const value = options[field];
    if (!Number.isInteger(value) || value <= 0) {
      throw new WinnowError('E_CONFIG_INVALID', `must be a positive integer, got ${String(value)}`, {
        field: `prompt.${field}`,
      });
    }
  }
  if (options.answerTokens >= options.contextWindow) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `answerTokens (${options.answerTokens}) leaves no room for the prompt in contextWindow (${options.contextWindow})`,
      { field: 'prompt.answerTokens' },
    );
  }
  const order = options.order ?? 'score';
  if (!CONTEXT_ORDERS.includes(order)) {
    throw new WinnowError('E_CONFIG_INVALID', `unknown order "${String(order)}"`, {
      field: 'prompt.order',
      hint: `use one of ${CONTEXT_ORDERS.join(', ')}`,
    });
  }
  const counter = options.tokenCounter;
  return {
    counter,
    countMessages: options.countMessages ?? ((messages) => countChatTokens(messages, counter)),
    budget: options.contextWindow - options.answerTokens,
    answerTokens: options.answerTokens,
    order,
    mergeAdjacent: options.mergeAdjacent ?? true,
    templates: resolveTemplates(options.systemTemplate, options.userTemplate),
  };
}

/**
 * One greedy pass over the candidates. Far from the budget the estimate decides; within the tolerance an exact
 * count does. Returns undefined when the exact count of the result exceeds the budget (only possible when not
 * `exact`), so the caller can pack again counting exactly every time.
 */
function pack(
  settings: Settings,
  question: string,
  candidates: readonly Candidate[],
  exact: boolean,
  signal: AbortSignal | undefined,
): PackedContext | undefined {
  const { budget, countMessages, templates } = settings;
  const emptyMessages = renderMessages(templates, question, NO_SOURCES_TEXT);
  const emptyTokens = countMessages(emptyMessages);
  if (emptyTokens > budget) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `the question and templates alone take ${emptyTokens} tokens, over the prompt budget of ${budget} (contextWindow - answerTokens)`,
      {
        field: 'prompt.contextWindow',
        hint: 'raise prompt.contextWindow, lower prompt.answerTokens or shorten the question',
      },
    );
  }
  const frameTokens = countMessages(renderMessages(templates, question, ''));
  const estimator = new ContextEstimator(settings.counter);
  const accepted: RankedCandidate[] = [];
  const acceptedChunkIds = new Set<string>();
  let dropped = 0;
  let current: { sources: PackedSource[]; messages: ChatMessage[]; tokens: number | undefined } = {
    sources: [],
    messages: emptyMessages,
    tokens: emptyTokens,
  };
  for (const [rank, candidate] of candidates.entries()) {
    throwIfAborted(signal, 'building the prompt');
    // A repeated chunk is already in the prompt: it neither fits again nor counts as dropped.
    if (acceptedChunkIds.has(candidate.chunk.id)) continue;
    const sources = labelled(
      arrange(buildSources([...accepted, { candidate, rank }], settings.mergeAdjacent), settings.order),
    );
    const estimate = frameTokens + estimator.contextTokens(sources);
    const tolerance = ContextEstimator.tolerance(sources.length);
    let tokens: number | undefined;
    let messages: ChatMessage[] | undefined;
    if (exact || Math.abs(estimate - budget) <= tolerance) {
      messages = renderMessages(templates, question, renderContext(sources));
      tokens = countMessages(messages);
    } else {
      tokens = undefined;
    }
    const fits = tokens !== undefined ? tokens <= budget : estimate < budget;
    if (!fits) {
      dropped += 1;
      continue;
    }
    accepted.push({ candidate, rank });
    acceptedChunkIds.add(candidate.chunk.id);
    current = { sources, messages: messages ?? [], tokens };
  }
  if (current.tokens === undefined) {
    current.messages = renderMessages(templates, question, renderContext(current.sources));
    current.tokens = countMessages(current.messages);
    if (current.tokens > budget) return undefined;
  }
  return {
    messages: current.messages,
    sources: current.sources,
    promptTokens: current.tokens,
    dropped,
    budget,
    answerTokens: settings.answerTokens,
  };
}

/** Numbers sources 1…n in prompt order, so `[n]` reads top to bottom. */
function labelled(sources: PackedSource[]): PackedSource[] {
  return sources.map((source, index) => ({ ...source, label: index + 1 }));
}
