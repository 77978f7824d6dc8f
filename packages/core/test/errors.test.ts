import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isAbortError, isWinnowError, throwIfAborted, toWinnowError, WinnowError } from '../src/index.js';

describe('WinnowError', () => {
  it('puts code, file and field in the message', () => {
    const error = new WinnowError('E_PDF_ENCRYPTED', 'needs a password', {
      file: 'docs/secret.pdf',
      field: 'ingest.pdfPasswords',
    });
    expect(error.message).toBe('E_PDF_ENCRYPTED: docs/secret.pdf, field ingest.pdfPasswords: needs a password');
    expect(error.code).toBe('E_PDF_ENCRYPTED');
    expect(error.file).toBe('docs/secret.pdf');
    expect(error).toBeInstanceOf(Error);
  });

  it('serialises to JSON for run reports', () => {
    const error = new WinnowError('E_DB_CONNECT', 'connection refused', {
      setting: 'DATABASE_URL',
      hint: 'start the server',
    });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      code: 'E_DB_CONNECT',
      message: 'E_DB_CONNECT: setting DATABASE_URL: connection refused (start the server)',
      setting: 'DATABASE_URL',
      hint: 'start the server',
    });
  });

  it('keeps the cause', () => {
    const cause = new Error('low level');
    expect(new WinnowError('E_PARSE', 'bad', { cause }).cause).toBe(cause);
  });

  it('codes are stable, prefixed and described', () => {
    for (const [code, description] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^E_[A-Z0-9_]+$/);
      expect(description.length).toBeGreaterThan(10);
    }
    for (const code of ['E_PDF_ENCRYPTED', 'E_MODEL_NOT_FOUND', 'E_DIMENSION_MISMATCH', 'E_CONFIG_INVALID']) {
      expect(ERROR_CODES).toHaveProperty(code);
    }
  });

  it('isWinnowError narrows by code', () => {
    const error = new WinnowError('E_LOCKED', 'busy');
    expect(isWinnowError(error)).toBe(true);
    expect(isWinnowError(error, 'E_LOCKED')).toBe(true);
    expect(isWinnowError(error, 'E_HTTP')).toBe(false);
    expect(isWinnowError(new Error('x'))).toBe(false);
  });

  it('toWinnowError wraps foreign errors and maps aborts', () => {
    const wrapped = toWinnowError(new TypeError('boom'), 'E_PARSE', { file: 'a.md' });
    expect(wrapped.code).toBe('E_PARSE');
    expect(wrapped.message).toBe('E_PARSE: a.md: boom');
    const abort = new DOMException('stop', 'AbortError');
    expect(isAbortError(abort)).toBe(true);
    expect(toWinnowError(abort, 'E_PARSE').code).toBe('E_ABORTED');
    const same = new WinnowError('E_HTTP', 'x');
    expect(toWinnowError(same, 'E_PARSE')).toBe(same);
  });

  it('throwIfAborted throws E_ABORTED only after abort', () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal)).not.toThrow();
    controller.abort();
    expect(() => throwIfAborted(controller.signal, 'embedding')).toThrow(/E_ABORTED: embedding was aborted/);
    expect(() => throwIfAborted(undefined)).not.toThrow();
  });
});
