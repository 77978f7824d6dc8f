import type { ChatMessage, GenerateOptions, Generation, Generator } from '@winnow/core';
import { throwIfAborted, WinnowError } from '@winnow/core';
import OpenAI from 'openai';
import { type EndpointContext, toGenerationError } from './openai-errors.js';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAIGeneratorOptions {
  /** The model name the server knows, e.g. `gpt-4o-mini` or a vLLM `--served-model-name`. */
  model: string;
  /** An OpenAI-compatible endpoint such as vLLM's `http://host:8000/v1`. Default OPENAI_BASE_URL, else OpenAI. */
  baseURL?: string;
  /** Default OPENAI_API_KEY; else `EMPTY` for a baseURL other than OpenAI's (vLLM accepts any key). */
  apiKey?: string;
  /** Default 0. */
  temperature?: number;
  /** Longest answer in tokens. Default 1024. */
  maxTokens?: number;
  /**
   * The request field for `maxTokens`: OpenAI's newer models take only `max_completion_tokens`; some
   * OpenAI-compatible servers know only `max_tokens`. Default: the former for OpenAI, the latter elsewhere.
   */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** Limit of one attempt until the answer starts, and of silence between streamed pieces. Default 60 s. */
  timeoutMs?: number;
  /** Retries on 408/409/429/5xx, connection failures and timeouts; Retry-After is obeyed. Default 3. */
  maxRetries?: number;
  /**
   * Longest total wait for the answer to start, across all attempts and retry pauses. Default 60 s: without it a
   * hanging server holds a call for (maxRetries + 1) × timeoutMs plus backoff (about 275 s by default).
   */
  deadlineMs?: number;
  /** Ask for token usage at the end of a stream (`stream_options.include_usage`). Default true. */
  streamUsage?: boolean;
  /** Config prefix named in error messages. Default `generate`. */
  setting?: string;
  /** Where OPENAI_API_KEY and OPENAI_BASE_URL are read. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

/** What a streamed generation yields: text pieces, then one `end` with the finish reason and usage. */
export type GenerationEvent =
  | { type: 'delta'; text: string }
  | { type: 'end'; finishReason?: string; usage?: Generation['usage'] };

/** A Generator that also reports the end of a stream (finish reason, usage); `answer` uses it when present. */
export interface EventStreamingGenerator extends Generator {
  streamEvents(messages: readonly ChatMessage[], options?: GenerateOptions): AsyncIterable<GenerationEvent>;
}

/**
 * Chat generation on the openai client, for OpenAI or any OpenAI-compatible server (vLLM). The client does the
 * retrying (backoff with jitter, Retry-After honoured, abort obeyed while waiting); failures become
 * WinnowErrors naming the endpoint.
 */
export class OpenAIGenerator implements EventStreamingGenerator {
  readonly model: string;
  readonly baseURL: string;
  private readonly client: OpenAI;
  /** Default longest answer, in tokens. */
  readonly maxTokens: number;
  private readonly temperature: number;
  private readonly maxTokensField: 'max_tokens' | 'max_completion_tokens';
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly deadlineMs: number;
  private readonly streamUsage: boolean;
  private readonly setting: string;

  constructor(options: OpenAIGeneratorOptions) {
    const env = options.env ?? process.env;
    this.setting = options.setting ?? 'generate';
    if (options.model.trim() === '') {
      throw new WinnowError('E_CONFIG_INVALID', 'the model name is empty', { field: `${this.setting}.model` });
    }
    this.model = options.model;
    this.baseURL = (options.baseURL ?? nonEmpty(env.OPENAI_BASE_URL) ?? OPENAI_BASE_URL).replace(/\/+$/, '');
    const isOpenAI = this.baseURL === OPENAI_BASE_URL;
    const apiKey = options.apiKey ?? nonEmpty(env.OPENAI_API_KEY) ?? (isOpenAI ? undefined : 'EMPTY');
    if (apiKey === undefined) {
      throw new WinnowError('E_CONFIG_INVALID', `no API key for ${this.baseURL}`, {
        setting: 'OPENAI_API_KEY',
        hint: `set OPENAI_API_KEY or ${this.setting}.apiKey, or point ${this.setting}.baseURL at your own server`,
      });
    }
    this.temperature = options.temperature ?? 0;
    this.maxTokens = options.maxTokens ?? 1024;
    this.maxTokensField = options.maxTokensField ?? (isOpenAI ? 'max_completion_tokens' : 'max_tokens');
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.deadlineMs = options.deadlineMs ?? 60_000;
    if (!(this.deadlineMs > 0)) {
      throw new WinnowError('E_CONFIG_INVALID', 'the deadline must be a positive number of milliseconds', {
        field: `${this.setting}.deadlineMs`,
      });
    }
    this.streamUsage = options.streamUsage ?? true;
    this.client = new OpenAI({ apiKey, baseURL: this.baseURL, timeout: this.timeoutMs, maxRetries: this.maxRetries });
  }

  async generate(messages: readonly ChatMessage[], options: GenerateOptions = {}): Promise<Generation> {
    const context = this.endpoint(options.signal);
    this.checkRequest(messages, options);
    const deadline = this.startDeadline(context);
    try {
      const completion = await this.client.chat.completions.create(this.body(messages, options), {
        signal: combine(options.signal, deadline.signal),
      });
      const choice = completion.choices[0];
      if (choice === undefined) {
        throw new WinnowError('E_HTTP', `the answer of model "${this.model}" has no choices`, { file: this.baseURL });
      }
      const generation: Generation = { text: choice.message.content ?? '' };
      if (choice.finish_reason) generation.finishReason = choice.finish_reason;
      if (completion.usage) generation.usage = usageOf(completion.usage);
      return generation;
    } catch (error) {
      throw toGenerationError(error, context);
    } finally {
      deadline.clear();
    }
  }

  async *stream(messages: readonly ChatMessage[], options: GenerateOptions = {}): AsyncGenerator<string> {
    for await (const event of this.streamEvents(messages, options)) {
      if (event.type === 'delta') yield event.text;
    }
  }

  /**
   * Streams the answer. The client's timeout covers each attempt's wait for the answer to start and `deadlineMs`
   * all of them together; after the first piece, silence longer than `timeoutMs` ends the stream with E_TIMEOUT.
   */
  async *streamEvents(
    messages: readonly ChatMessage[],
    options: GenerateOptions = {},
  ): AsyncGenerator<GenerationEvent> {
    const context = this.endpoint(options.signal);
    this.checkRequest(messages, options);
    const idle = new AbortController();
    const deadline = this.startDeadline(context);
    const signal = combine(options.signal, idle.signal, deadline.signal);
    let timer: NodeJS.Timeout | undefined;
    const restartIdleTimer = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        context.idleTimedOut = true;
        idle.abort();
      }, this.timeoutMs);
    };
    try {
      const chunks = await this.client.chat.completions.create(
        {
          ...this.body(messages, options),
          stream: true,
          ...(this.streamUsage ? { stream_options: { include_usage: true } } : {}),
        },
        { signal },
      );
      restartIdleTimer();
      let finishReason: string | undefined;
      let usage: Generation['usage'];
      for await (const chunk of chunks) {
        // The answer has started: from here only silence (timeoutMs) ends it, however long the answer takes.
        deadline.clear();
        restartIdleTimer();
        if (chunk.usage) usage = usageOf(chunk.usage);
        const choice = chunk.choices[0];
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        const text = choice?.delta?.content;
        if (text) yield { type: 'delta', text };
      }
      // The client ends a stream quietly when its signal fires; a stream without a finish reason was cut short.
      if (signal.aborted) throw new Error('the stream was cut');
      if (finishReason === undefined) {
        throw new WinnowError('E_HTTP', `the stream from model "${this.model}" ended before the answer was finished`, {
          file: this.baseURL,
        });
      }
      yield usage === undefined ? { type: 'end', finishReason } : { type: 'end', finishReason, usage };
    } catch (error) {
      throw toGenerationError(error, context);
    } finally {
      clearTimeout(timer);
      deadline.clear();
    }
  }

  /** Aborts the request when `deadlineMs` passes, marking the context so the error names that setting. */
  private startDeadline(context: EndpointContext): { signal: AbortSignal; clear: () => void } {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      context.deadlineExceeded = true;
      controller.abort();
    }, this.deadlineMs);
    return { signal: controller.signal, clear: () => clearTimeout(timer) };
  }

  private endpoint(signal: AbortSignal | undefined): EndpointContext {
    return {
      baseURL: this.baseURL,
      model: this.model,
      setting: this.setting,
      timeoutMs: this.timeoutMs,
      maxRetries: this.maxRetries,
      deadlineMs: this.deadlineMs,
      signal,
    };
  }

  private checkRequest(messages: readonly ChatMessage[], options: GenerateOptions): void {
    throwIfAborted(options.signal, `generating with model "${this.model}"`);
    if (messages.length === 0) {
      throw new WinnowError('E_EMPTY_INPUT', 'no messages to send', { field: 'messages' });
    }
  }

  private body(messages: readonly ChatMessage[], options: GenerateOptions) {
    return {
      model: this.model,
      messages: messages.map((message) => ({ role: message.role, content: message.content })),
      temperature: options.temperature ?? this.temperature,
      [this.maxTokensField]: options.maxTokens ?? this.maxTokens,
    };
  }
}

function usageOf(usage: { prompt_tokens: number; completion_tokens: number }): NonNullable<Generation['usage']> {
  return { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens };
}

function combine(...signals: (AbortSignal | undefined)[]): AbortSignal {
  return AbortSignal.any(signals.filter((signal): signal is AbortSignal => signal !== undefined));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
