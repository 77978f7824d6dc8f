import { isWinnowError, throwIfAborted, WinnowError } from './errors.js';

/**
 * Retries for remote endpoints (embedding, reranking and chat servers): exponential backoff with full jitter,
 * Retry-After honoured, a timeout per attempt, and the caller's AbortSignal obeyed while waiting.
 */
export interface RetryOptions {
  /** Retries after the first attempt; 0 disables retrying. Default 3. */
  maxRetries?: number;
  /** Backoff ceiling of the first retry; doubles each retry. Default 500 ms. */
  baseDelayMs?: number;
  /** Upper bound of one backoff wait. Default 20 s. */
  maxDelayMs?: number;
  /** Upper bound of a wait asked for by Retry-After; longer requests are cut to this. Default 60 s. */
  maxRetryAfterMs?: number;
  signal?: AbortSignal | undefined;
  /** Jitter source in [0, 1); tests may fix it. */
  random?: () => number;
  /** Called before each wait, e.g. to log. */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  /** 1-based number of the retry about to happen. */
  retry: number;
  delayMs: number;
  error: unknown;
}

/** What to do after a failed attempt. */
export interface RetryDecision {
  retry: boolean;
  /** The server's Retry-After, when it gave one. */
  retryAfterMs?: number | undefined;
}

/** Full-jitter exponential backoff: a uniform wait in [0, min(max, base * 2^(retry-1))). */
export function backoffDelay(retry: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Waits `ms`, rejecting with E_ABORTED as soon as the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal, 'waiting to retry');
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new WinnowError('E_ABORTED', 'waiting to retry was aborted', { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, `classify` says an error is final, or retries run out; then rethrows the
 * last error as it is. The wait before a retry is the server's Retry-After when given, else jittered backoff.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  classify: (error: unknown) => RetryDecision,
  options: RetryOptions = {},
): Promise<T> {
  const maxRetries = options.maxRetries ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 20_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const random = options.random ?? Math.random;
  for (let retry = 0; ; retry += 1) {
    throwIfAborted(options.signal);
    try {
      return await attempt(retry + 1);
    } catch (error) {
      if (options.signal?.aborted || isWinnowError(error, 'E_ABORTED')) throw error;
      const decision = classify(error);
      if (!decision.retry || retry >= maxRetries) throw error;
      const delayMs =
        decision.retryAfterMs !== undefined
          ? Math.min(decision.retryAfterMs, maxRetryAfterMs)
          : backoffDelay(retry + 1, baseDelayMs, maxDelayMs, random);
      options.onRetry?.({ retry: retry + 1, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}

/** HTTP statuses worth another try: rate limiting, timeouts and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

export interface FetchRetryOptions extends RetryOptions {
  /** Limit of one attempt, headers and body included. Default 60 s. */
  timeoutMs?: number;
  /** Names the endpoint in error messages, e.g. the setting that holds its URL (`rerank.baseURL`). */
  setting?: string;
  fetch?: typeof fetch;
}

/** A successful response's parsed JSON body, with the status for callers that care. */
export interface FetchJsonResult<T> {
  status: number;
  body: T;
}

/**
 * POSTs JSON and returns the parsed JSON answer, retrying 408/425/429/5xx, network failures and timeouts.
 * Failures become WinnowErrors: 401/403 E_AUTH, 429 after all retries E_RATE_LIMITED, a timed-out attempt
 * E_TIMEOUT, the caller's abort E_ABORTED, anything else E_HTTP. Each message names the URL.
 */
export async function postJsonWithRetry<T = unknown>(
  url: string,
  body: unknown,
  options: FetchRetryOptions & { headers?: Record<string, string> } = {},
): Promise<FetchJsonResult<T>> {
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const subject = { file: url, ...(options.setting === undefined ? {} : { setting: options.setting }) };
  const payload = JSON.stringify(body);
  return withRetries(
    async () => {
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
      let response: Response;
      let text: string;
      try {
        response = await fetchImpl(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
          body: payload,
          signal,
        });
        text = await response.text();
      } catch (error) {
        if (options.signal?.aborted) {
          throw new WinnowError('E_ABORTED', 'the request was aborted', { ...subject, cause: error });
        }
        if (timeout.aborted) {
          throw new WinnowError('E_TIMEOUT', `no complete answer within ${timeoutMs} ms`, {
            ...subject,
            cause: error,
            hint: 'raise timeoutMs or check the server',
          });
        }
        const reason =
          error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '';
        throw new WinnowError('E_HTTP', `the request failed: ${reason || String(error)}`, { ...subject, cause: error });
      }
      if (!response.ok) throw httpStatusError(response, text, subject);
      try {
        return { status: response.status, body: JSON.parse(text) as T };
      } catch (error) {
        throw new WinnowError('E_HTTP', `the answer is not JSON: ${text.slice(0, 200)}`, {
          ...subject,
          cause: error,
          details: { status: response.status },
        });
      }
    },
    classifyHttpError,
    options,
  );
}

function httpStatusError(response: Response, text: string, subject: { file: string; setting?: string }): WinnowError {
  const status = response.status;
  const excerpt = text.slice(0, 300);
  const details = { status, retryAfter: response.headers.get('retry-after') ?? undefined };
  if (status === 401 || status === 403) {
    return new WinnowError('E_AUTH', `the server refused the credentials (HTTP ${status}): ${excerpt}`, {
      ...subject,
      details,
      hint: 'check the apiKey setting or the API key environment variable',
    });
  }
  if (status === 429) {
    return new WinnowError('E_RATE_LIMITED', `still rate-limited (HTTP 429) after all retries: ${excerpt}`, {
      ...subject,
      details,
    });
  }
  return new WinnowError('E_HTTP', `the server answered HTTP ${status}: ${excerpt}`, { ...subject, details });
}

/** The retry decision for errors raised by `postJsonWithRetry`'s attempts. */
export function classifyHttpError(error: unknown): RetryDecision {
  if (!isWinnowError(error)) return { retry: false };
  if (error.code === 'E_TIMEOUT') return { retry: true };
  const status = error.details?.status;
  if (typeof status !== 'number') return { retry: error.code === 'E_HTTP' };
  const retryAfter = error.details?.retryAfter;
  return {
    retry: isRetryableStatus(status),
    retryAfterMs: parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : undefined),
  };
}
