/**
 * One error type for every package. Codes are stable API: callers (and the CLI's exit codes) switch on them,
 * so a code is never renamed or reused for a different failure.
 */
export const ERROR_CODES = {
  E_CONFIG_INVALID: 'A configuration file or object failed validation',
  E_CONFIG_NOT_FOUND: 'A configuration file does not exist',
  E_FILE_NOT_FOUND: 'An input file or folder does not exist',
  E_FILE_TOO_LARGE: 'An input file is over the configured size limit',
  E_PERMISSION: 'An input file or folder exists but may not be read (EACCES, EPERM)',
  E_FILE_NAME: 'A file name is not valid UTF-8, so it cannot be opened or given an id',
  E_UNSUPPORTED_TYPE: 'No loader handles this kind of file',
  E_TYPE_MISMATCH: "A file's bytes do not match its extension",
  E_ENCODING: 'Text is not valid in its declared or detected encoding',
  E_PARSE: 'A file could not be parsed',
  E_PDF_ENCRYPTED: 'A PDF is password-protected and no password was configured',
  E_PDF_BAD_PASSWORD: 'A PDF password was configured but is wrong',
  E_PDF_NO_TEXT: 'A PDF has no text layer (image-only)',
  E_PDF_CORRUPT: 'A PDF is damaged or not a PDF',
  E_DATASET_INVALID: 'A dataset (BEIR, qrels, run file) is malformed',
  E_MODEL_NOT_FOUND: 'A model could not be found locally or on the hub',
  E_MODEL_LOAD: 'A model was found but could not be loaded',
  E_DEVICE_UNAVAILABLE: 'The requested compute device cannot be used',
  E_EMPTY_INPUT: 'An input that must not be empty is empty',
  E_EMPTY_QUERY: 'A query is empty',
  E_DIMENSION_MISMATCH: 'An embedding model or dimension differs from what a collection was built with',
  E_FILTER_INVALID: 'A metadata filter is malformed',
  E_PRINCIPAL_REQUIRED: 'A retrieval from a collection with access control on came without a principal',
  E_PRINCIPAL_INVALID: 'A principal (tenant and groups) is malformed',
  E_ACCESS_INVALID: "A document's access list (front matter, metadata or an access rule) is malformed",
  E_VECTOR_INVALID: 'An embedding vector holds NaN or Infinity',
  E_DB_CONNECT: 'The database cannot be reached',
  E_DB_EXTENSION: 'The pgvector extension is missing or too old',
  E_DB_QUERY: 'A database statement failed',
  E_LOCKED: 'Another run holds the lock',
  E_LOCK_LOST:
    "A run lost its lock while running (e.g. the server ended the lock's session) and stopped before its next write",
  E_HTTP: 'A remote endpoint answered with an error',
  E_AUTH: 'A remote endpoint refused the credentials',
  E_RATE_LIMITED: 'A remote endpoint kept answering 429 after all retries',
  E_TIMEOUT: 'An operation took longer than its timeout',
  E_ABORTED: 'An operation was aborted by its AbortSignal',
  E_CHUNK_FAILED: 'The chunker failed on a document',
  E_EMBED_FAILED: 'The embedder failed on, or returned the wrong number of vectors for, a document',
  E_RERANK_FAILED: 'The reranker failed or returned the wrong number of scores',
  E_STAGE_FAILED: 'A retrieval stage (built-in or registered) failed',
  E_INTERNAL: 'A bug in winnow: please report it',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where the fault lies, so a message can name the file, field or setting. */
export interface ErrorSubject {
  /** A file path or URI. */
  file?: string;
  /** A field path inside a config, record or request, e.g. `recall.k` or `items[3]`. */
  field?: string;
  /** A named setting or environment variable, e.g. `DATABASE_URL`. */
  setting?: string;
}

export interface WinnowErrorOptions extends ErrorSubject {
  cause?: unknown;
  /** Extra structured facts for logs and JSON reports. */
  details?: Record<string, unknown>;
  /** A short suggestion for the user. */
  hint?: string;
}

export class WinnowError extends Error {
  override readonly name = 'WinnowError';
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly field: string | undefined;
  readonly setting: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: WinnowErrorOptions = {}) {
    super(formatMessage(code, message, options), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
    this.field = options.field;
    this.setting = options.setting;
    this.details = options.details;
    this.hint = options.hint;
  }

  /** A plain object for JSON output (run reports, `--json`). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.file !== undefined) out.file = this.file;
    if (this.field !== undefined) out.field = this.field;
    if (this.setting !== undefined) out.setting = this.setting;
    if (this.hint !== undefined) out.hint = this.hint;
    if (this.details !== undefined) out.details = this.details;
    return out;
  }
}

function formatMessage(code: ErrorCode, message: string, subject: WinnowErrorOptions): string {
  const where = [
    subject.file === undefined ? undefined : subject.file,
    subject.field === undefined ? undefined : `field ${subject.field}`,
    subject.setting === undefined ? undefined : `setting ${subject.setting}`,
  ].filter((part): part is string => part !== undefined);
  const prefix = where.length > 0 ? `${where.join(', ')}: ` : '';
  const hint = subject.hint === undefined ? '' : ` (${subject.hint})`;
  return `${code}: ${prefix}${message}${hint}`;
}

export function isWinnowError(error: unknown, code?: ErrorCode): error is WinnowError {
  return error instanceof WinnowError && (code === undefined || error.code === code);
}

/** Wraps any thrown value as a WinnowError, keeping WinnowErrors as they are. */
export function toWinnowError(error: unknown, fallback: ErrorCode, subject: ErrorSubject = {}): WinnowError {
  if (error instanceof WinnowError) return error;
  if (isAbortError(error))
    return new WinnowError('E_ABORTED', 'the operation was aborted', { ...subject, cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new WinnowError(fallback, message, { ...subject, cause: error });
}

export function isAbortError(error: unknown): boolean {
  return (
    (error instanceof Error && (error.name === 'AbortError' || error.name === 'APIUserAbortError')) ||
    isWinnowError(error, 'E_ABORTED')
  );
}

/** Throws E_ABORTED when the signal has fired; call between units of work. */
export function throwIfAborted(signal: AbortSignal | undefined, what = 'operation'): void {
  if (signal?.aborted) {
    throw new WinnowError('E_ABORTED', `${what} was aborted`, { cause: signal.reason });
  }
}
