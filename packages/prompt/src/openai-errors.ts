import { WinnowError } from '@winnow/core';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';

/** What a failed call was talking to, for messages that name the endpoint and the settings to check. */
export interface EndpointContext {
  baseURL: string;
  model: string;
  /** Config prefix of the generator's settings, e.g. `generate`. */
  setting: string;
  timeoutMs: number;
  maxRetries: number;
  /** Longest total wait for the answer to start, all attempts together. */
  deadlineMs?: number;
  /** The caller's signal: when it fired, any failure is an abort. */
  signal?: AbortSignal | undefined;
  /** Set when our own idle timer cut a stream. */
  idleTimedOut?: boolean;
  /** Set when `deadlineMs` passed before the answer started. */
  deadlineExceeded?: boolean;
}

/**
 * Maps an openai client error to a WinnowError: abort → E_ABORTED, timeout → E_TIMEOUT, 401/403 → E_AUTH,
 * 429 (after the client's retries) → E_RATE_LIMITED, anything else → E_HTTP with the status.
 */
export function toGenerationError(error: unknown, context: EndpointContext): WinnowError {
  if (error instanceof WinnowError) return error;
  const file = context.baseURL;
  if (context.signal?.aborted) {
    return new WinnowError('E_ABORTED', `the request to model "${context.model}" was aborted`, { file, cause: error });
  }
  if (context.deadlineExceeded) {
    return new WinnowError(
      'E_TIMEOUT',
      `model "${context.model}" did not start answering within ${context.deadlineMs} ms (all attempts together)`,
      {
        file,
        setting: `${context.setting}.deadlineMs`,
        cause: error,
        hint: `raise ${context.setting}.deadlineMs or check the server`,
      },
    );
  }
  if (context.idleTimedOut || error instanceof APIConnectionTimeoutError) {
    return new WinnowError(
      'E_TIMEOUT',
      `model "${context.model}" sent nothing for ${context.timeoutMs} ms${context.idleTimedOut ? ' mid-stream' : ''}`,
      {
        file,
        setting: `${context.setting}.timeoutMs`,
        cause: error,
        hint: `raise ${context.setting}.timeoutMs or check the server`,
      },
    );
  }
  if (error instanceof APIUserAbortError) {
    return new WinnowError('E_ABORTED', `the request to model "${context.model}" was aborted`, { file, cause: error });
  }
  if (error instanceof APIConnectionError) {
    const reason = error.cause instanceof Error ? error.cause.message : error.message;
    return new WinnowError('E_HTTP', `cannot reach the server: ${reason}`, {
      file,
      setting: `${context.setting}.baseURL`,
      cause: error,
      hint: 'check that the server is running and the baseURL is right',
    });
  }
  if (error instanceof APIError) {
    const status = error.status;
    const details = {
      status,
      requestId: error.requestID ?? undefined,
      type: error.type,
      code: error.code ?? undefined,
    };
    const message = serverMessage(error);
    if (status === 401 || status === 403) {
      return new WinnowError('E_AUTH', `the server refused the API key (HTTP ${status}): ${message}`, {
        file,
        setting: 'OPENAI_API_KEY',
        details,
        cause: error,
        hint: `check OPENAI_API_KEY or ${context.setting}.apiKey for ${context.baseURL}`,
      });
    }
    if (status === 429) {
      return new WinnowError(
        'E_RATE_LIMITED',
        `still rate-limited (HTTP 429) after ${context.maxRetries} retries: ${message}`,
        {
          file,
          setting: `${context.setting}.maxRetries`,
          details,
          cause: error,
          hint: 'wait, lower the request rate or raise maxRetries',
        },
      );
    }
    const what = status === undefined ? 'the server reported an error' : `the server answered HTTP ${status}`;
    return new WinnowError('E_HTTP', `${what} for model "${context.model}": ${message}`, {
      file,
      details,
      cause: error,
    });
  }
  return new WinnowError('E_HTTP', `the request to model "${context.model}" failed: ${describeError(error)}`, {
    file,
    cause: error,
  });
}

/** A message with its causes, e.g. `terminated (other side closed)` for a connection cut mid-stream. */
function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error; current !== undefined && parts.length < 4; ) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      current = undefined;
    }
  }
  const [first, ...causes] = parts;
  return causes.length === 0 ? (first ?? '') : `${first} (${causes.join(': ')})`;
}

/** The server's own error message (`{ error: { message } }`), without the client's status prefix. */
function serverMessage(error: APIError): string {
  const body = error.error;
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') {
    return body.message;
  }
  return error.message;
}
