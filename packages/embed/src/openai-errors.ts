import { isRetryableStatus, parseRetryAfter, type RetryDecision, WinnowError } from '@winnow/core';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';

/** Retry 408/425/429/5xx (after Retry-After when sent), dropped connections and timeouts; nothing else. */
export function classifyOpenAIError(error: unknown): RetryDecision {
  if (error instanceof APIUserAbortError) return { retry: false };
  if (error instanceof APIConnectionError) return { retry: true };
  if (error instanceof APIError && typeof error.status === 'number') {
    return {
      retry: isRetryableStatus(error.status),
      retryAfterMs: parseRetryAfter(error.headers?.get('retry-after')),
    };
  }
  return { retry: false };
}

/** The WinnowError for an OpenAI client failure, naming the endpoint. */
export function toWinnowHttpError(
  error: unknown,
  subject: { file: string; setting: string },
  timeoutMs: number,
): WinnowError {
  if (error instanceof WinnowError) return error;
  if (error instanceof APIUserAbortError) {
    return new WinnowError('E_ABORTED', 'the request was aborted', { ...subject, cause: error });
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new WinnowError('E_TIMEOUT', `no answer within ${timeoutMs} ms`, {
      ...subject,
      cause: error,
      hint: 'raise timeoutMs or check the server',
    });
  }
  if (error instanceof APIConnectionError) {
    const reason = error.cause instanceof Error ? error.cause.message : error.message;
    return new WinnowError('E_HTTP', `cannot reach the server: ${reason}`, { ...subject, cause: error });
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const details = { status: error.status };
    if (error.status === 401 || error.status === 403) {
      return new WinnowError('E_AUTH', `the server refused the API key (HTTP ${error.status}): ${error.message}`, {
        ...subject,
        setting: 'embed.apiKey',
        cause: error,
        details,
        hint: 'check the apiKey setting or OPENAI_API_KEY',
      });
    }
    if (error.status === 429) {
      return new WinnowError('E_RATE_LIMITED', `still rate-limited after all retries: ${error.message}`, {
        ...subject,
        cause: error,
        details,
      });
    }
    return new WinnowError('E_HTTP', `the server answered HTTP ${error.status}: ${error.message}`, {
      ...subject,
      cause: error,
      details,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new WinnowError('E_HTTP', message, { ...subject, cause: error });
}
