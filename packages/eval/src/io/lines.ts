import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import { createGunzip } from 'node:zlib';
import { type CallOptions, throwIfAborted, WinnowError } from '@winnow/core';

export interface NumberedLine {
  /** The line without its end-of-line characters (`\n` or `\r\n`). */
  text: string;
  /** 1-based, as an editor shows it. */
  number: number;
}

/**
 * Streams a UTF-8 text file line by line, gunzipping it when the name ends in `.gz`, so a large corpus
 * never has to fit in memory. Errors name the file: E_FILE_NOT_FOUND, E_ENCODING (invalid UTF-8),
 * E_DATASET_INVALID (unreadable or bad gzip) and E_ABORTED.
 */
export async function* readLines(file: string, options: CallOptions = {}): AsyncGenerator<NumberedLine> {
  for await (const batch of readLineBatches(file, options)) yield* batch;
}

/** Like `readLines`, but yields the lines of each chunk read together: far fewer awaits on large files. */
export async function* readLineBatches(file: string, options: CallOptions = {}): AsyncGenerator<NumberedLine[]> {
  throwIfAborted(options.signal, `reading ${file}`);
  const raw = createReadStream(file, {
    highWaterMark: 256 * 1024,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let input: Readable = raw;
  if (file.endsWith('.gz')) {
    const gunzip = createGunzip();
    raw.on('error', (error) => gunzip.destroy(error));
    input = raw.pipe(gunzip);
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  let number = 0;
  const take = (texts: string[]): NumberedLine[] =>
    texts.map((text) => {
      number++;
      return { text: cleanLine(text, number), number };
    });
  try {
    for await (const chunk of input) {
      pending += decode(decoder, file, chunk as Uint8Array, true);
      const texts = pending.split('\n');
      pending = texts.pop() ?? '';
      if (texts.length > 0) yield take(texts);
    }
    pending += decode(decoder, file, new Uint8Array(0), false);
  } catch (error) {
    throw readError(error, file, options.signal);
  } finally {
    input.destroy();
    raw.destroy();
  }
  if (pending !== '') yield take([pending]);
}

function decode(decoder: TextDecoder, file: string, bytes: Uint8Array, stream: boolean): string {
  try {
    return decoder.decode(bytes, { stream });
  } catch (error) {
    throw new WinnowError('E_ENCODING', 'is not valid UTF-8', { file, cause: error });
  }
}

function cleanLine(line: string, number: number): string {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  // A byte-order mark is not part of the first field.
  return number === 1 && text.startsWith('\uFEFF') ? text.slice(1) : text;
}

function readError(error: unknown, file: string, signal: AbortSignal | undefined): WinnowError {
  if (error instanceof WinnowError) return error;
  if (signal?.aborted) return new WinnowError('E_ABORTED', 'reading was aborted', { file, cause: error });
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return new WinnowError('E_FILE_NOT_FOUND', 'does not exist', { file, cause: error });
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new WinnowError('E_DATASET_INVALID', 'is not valid gzip', { file, cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new WinnowError('E_DATASET_INVALID', `could not be read: ${message}`, { file, cause: error });
}

/** An E_DATASET_INVALID that names the file and the 1-based line at fault. */
export function lineError(file: string, line: number, message: string, details?: Record<string, unknown>): WinnowError {
  return new WinnowError('E_DATASET_INVALID', `line ${line}: ${message}`, { file, details: { line, ...details } });
}
