/**
 * A local server speaking the OpenAI HTTP protocol, for tests of clients of OpenAI-compatible endpoints (OpenAI
 * itself, vLLM): chat completions (JSON and SSE streaming), embeddings (float and base64), model listing, and any
 * extra JSON routes a test adds (e.g. `/rerank`). It records every request and plays scripted replies —
 * errors with status and headers (429 with Retry-After), delays (for timeouts), streams that stall or break —
 * so retries, timeouts and aborts can be tested against real HTTP. Start it on port 0 and use `baseURL`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The JSON body of an OpenAI error answer: `{ error: { message, type, param, code } }`. */
export interface OpenAIErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export interface RecordedRequest {
  method: string;
  /** The path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** The path relative to the API prefix, e.g. `/chat/completions`. */
  route: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The parsed JSON body, or undefined when it was empty or not JSON. */
  body: unknown;
}

/** One scripted reply; the next request whose route matches consumes it. */
export interface ReplyStep {
  /** Only requests to this route (e.g. `/chat/completions`) consume the step; default any route. */
  route?: string;
  /** Wait this long before answering (headers included): longer than a client's timeout makes it time out. */
  delayMs?: number;
  /** Answer with this HTTP status and an OpenAI error body. */
  status?: number;
  error?: Partial<OpenAIErrorBody>;
  /** Extra response headers, e.g. `{ 'retry-after': '0' }`. */
  headers?: Record<string, string>;
  /** Chat: the assistant's text; an array gives the exact pieces of a streamed answer. */
  content?: string | string[];
  /** Chat: default `stop`. */
  finishReason?: string;
  /** Chat: token usage to report instead of the estimate. */
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** Streaming: wait between pieces. */
  chunkDelayMs?: number;
  /** Streaming: send this many pieces, then nothing more while keeping the connection open. */
  stallAfterChunks?: number;
  /** Streaming: send this many pieces, then cut the connection without finishing the stream. */
  dropAfterChunks?: number;
  /** Embeddings: the vectors to return, one per input. */
  embeddings?: number[][];
  /** Any route: answer with this JSON body (status `status` or 200). */
  json?: unknown;
}

export interface ChatRequestBody {
  model?: string;
  messages?: { role: string; content: unknown }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [key: string]: unknown;
}

export interface OpenAIServerOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`; others get 401 as OpenAI answers it. */
  apiKey?: string;
  /** The assistant's text when no step is scripted. Default: `OK`. */
  chat?: (request: ChatRequestBody) => string;
  /** The vector of one input when no step is scripted. Default: a unit vector derived from the text's hash. */
  embed?: (input: string, model: string) => number[];
  /** Size of the default vectors. Default 8. */
  embeddingDimensions?: number;
  /** Extra POST routes answering JSON, keyed by route (e.g. `/rerank`). */
  routes?: Record<string, (body: unknown, request: RecordedRequest) => unknown>;
  /** Ids listed by `GET /models`. Default `['test-model']`. */
  models?: string[];
  /** The API prefix of `baseURL`. Default `/v1`. */
  prefix?: string;
  /**
   * Every request waits this long before it is answered, unless its step sets `delayMs`: a fixed service time, as
   * a GPU embedding server has (requests are served concurrently, so the bench of many clients is I/O bound).
   */
  serviceTimeMs?: number;
}

export interface OpenAIServer {
  /** E.g. `http://127.0.0.1:41234/v1`: pass it as the client's baseURL. */
  readonly baseURL: string;
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Queues replies; each is consumed by the next request to its route. */
  enqueue(...steps: ReplyStep[]): void;
  /** Replies still queued. */
  pendingSteps(): number;
  /** The recorded requests to one route. */
  requestsTo(route: string): RecordedRequest[];
  /** Forgets recorded requests and queued replies. */
  reset(): void;
  /** Stops listening and cuts open connections (stalled streams included). */
  close(): Promise<void>;
}

export async function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  const prefix = options.prefix ?? '/v1';
  const requests: RecordedRequest[] = [];
  let steps: ReplyStep[] = [];
  let nextId = 1;

  const takeStep = (route: string): ReplyStep | undefined => {
    const index = steps.findIndex((step) => step.route === undefined || step.route === route);
    if (index < 0) return undefined;
    const [step] = steps.splice(index, 1);
    return step;
  };

  const server = createServer((req, res) => {
    void readBody(req)
      .then(async (rawBody) => {
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        const route = path.startsWith(prefix) ? path.slice(prefix.length) || '/' : path;
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          path,
          route,
          headers: req.headers,
          rawBody,
          body: parseJson(rawBody),
        };
        requests.push(recorded);
        if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
          sendError(res, 401, {
            message: `Incorrect API key provided: ${maskKey(req.headers.authorization)}.`,
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          });
          return;
        }
        const step = takeStep(route);
        const delayMs = step?.delayMs ?? options.serviceTimeMs;
        if (delayMs !== undefined && !(await wait(delayMs, res))) return;
        if (step?.status !== undefined && step.status >= 400) {
          sendError(res, step.status, step.error ?? {}, step.headers);
          return;
        }
        if (step?.json !== undefined) {
          sendJson(res, step.status ?? 200, step.json, step.headers);
          return;
        }
        const id = nextId++;
        if (route === '/chat/completions' && recorded.method === 'POST') {
          await answerChat(res, recorded.body as ChatRequestBody, step, options, id);
        } else if (route === '/embeddings' && recorded.method === 'POST') {
          answerEmbeddings(res, recorded.body, step, options);
        } else if (route === '/models' && recorded.method === 'GET') {
          const ids = options.models ?? ['test-model'];
          sendJson(res, 200, {
            object: 'list',
            data: ids.map((model) => ({ id: model, object: 'model', created: 0 })),
          });
        } else if (options.routes?.[route] !== undefined && recorded.method === 'POST') {
          sendJson(res, 200, options.routes[route](recorded.body, recorded), step?.headers);
        } else {
          sendError(res, 404, { message: `Unknown route ${recorded.method} ${path}`, type: 'invalid_request_error' });
        }
      })
      .catch((error: unknown) => {
        // A throwing custom route must not leave the client waiting.
        if (res.headersSent) res.destroy();
        else sendError(res, 500, { message: error instanceof Error ? error.message : String(error) });
      });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}${prefix}`,
    requests,
    enqueue: (...more) => {
      steps.push(...more);
    },
    pendingSteps: () => steps.length,
    requestsTo: (route) => requests.filter((request) => request.route === route),
    reset: () => {
      requests.length = 0;
      steps = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function answerChat(
  res: ServerResponse,
  body: ChatRequestBody,
  step: ReplyStep | undefined,
  options: OpenAIServerOptions,
  id: number,
): Promise<void> {
  const model = typeof body.model === 'string' ? body.model : 'test-model';
  const content = step?.content ?? options.chat?.(body) ?? 'OK';
  const pieces = typeof content === 'string' ? splitIntoPieces(content) : content;
  const text = pieces.join('');
  const finishReason = step?.finishReason ?? 'stop';
  const usage = step?.usage ?? { prompt_tokens: estimateTokens(body.messages), completion_tokens: pieces.length };
  const fullUsage = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
  const base = { id: `chatcmpl-${id}`, created: Math.floor(Date.now() / 1000), model };
  if (body.stream !== true) {
    sendJson(
      res,
      200,
      {
        ...base,
        object: 'chat.completion',
        choices: [
          { index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason, logprobs: null },
        ],
        usage: fullUsage,
      },
      step?.headers,
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...step?.headers });
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  send(chunk({ role: 'assistant', content: '' }, null));
  for (const [index, piece] of pieces.entries()) {
    if (index === step?.stallAfterChunks) return; // keep the connection open without another byte
    if (index === step?.dropAfterChunks) {
      // Let what was sent reach the client first, so the cut comes after the answer started.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      res.destroy();
      return;
    }
    if (step?.chunkDelayMs !== undefined && !(await wait(step.chunkDelayMs, res))) return;
    send(chunk({ content: piece }, null));
  }
  send(chunk({}, finishReason));
  if (body.stream_options?.include_usage === true) {
    send({ ...base, object: 'chat.completion.chunk', choices: [], usage: fullUsage });
  }
  res.end('data: [DONE]\n\n');
}

function answerEmbeddings(
  res: ServerResponse,
  body: unknown,
  step: ReplyStep | undefined,
  options: OpenAIServerOptions,
): void {
  const request = (body ?? {}) as { input?: unknown; model?: unknown; encoding_format?: unknown };
  const inputs = typeof request.input === 'string' ? [request.input] : request.input;
  if (!Array.isArray(inputs) || inputs.some((input) => typeof input !== 'string')) {
    sendError(res, 400, { message: "'input' must be a string or an array of strings", param: 'input' });
    return;
  }
  const model = typeof request.model === 'string' ? request.model : 'test-embedding';
  const texts = inputs as string[];
  const dimensions = options.embeddingDimensions ?? 8;
  const vectors = step?.embeddings ?? texts.map((text) => options.embed?.(text, model) ?? hashVector(text, dimensions));
  const base64 = request.encoding_format === 'base64';
  sendJson(res, 200, {
    object: 'list',
    model,
    data: vectors.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
    })),
    usage: { prompt_tokens: estimateTokens(texts), total_tokens: estimateTokens(texts) },
  });
}

/** A deterministic unit vector from the text's SHA-256, so equal texts get equal vectors. */
export function hashVector(text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block += 1) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (let i = 0; i + 1 < digest.length && values.length < dimensions; i += 2) {
      values.push(digest.readUInt16LE(i) / 32_768 - 1);
    }
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((value) => value / norm);
}

/** Word-sized pieces with their leading whitespace, the way servers stream tokens. */
function splitIntoPieces(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [text];
}

function estimateTokens(value: unknown): number {
  return Math.ceil(JSON.stringify(value ?? '').length / 4);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

function sendError(
  res: ServerResponse,
  status: number,
  error: Partial<OpenAIErrorBody>,
  headers: Record<string, string> = {},
): void {
  const body: OpenAIErrorBody = {
    message: error.message ?? defaultErrorMessage(status),
    type: error.type ?? (status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error'),
    param: error.param ?? null,
    code: error.code ?? (status === 429 ? 'rate_limit_exceeded' : null),
  };
  sendJson(res, status, { error: body }, headers);
}

function defaultErrorMessage(status: number): string {
  if (status === 429) return 'Rate limit reached for requests. Please try again later.';
  if (status >= 500) return 'The server had an error while processing your request.';
  return `Request failed with status ${status}.`;
}

function maskKey(authorization: string | undefined): string {
  const key = authorization?.replace(/^Bearer\s+/i, '') ?? '';
  return key.length <= 8 ? key || '(none)' : `${key.slice(0, 3)}*****${key.slice(-4)}`;
}

/** Resolves true after `ms`, or false as soon as the client goes away. */
function wait(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    res.once('close', onClose);
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
