import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type CallOptions, toWinnowError, WinnowError } from '@winnow/core';

/** Streams generated text into a file, so a large run never forms one string; errors name the file. */
export async function writeText(file: string, text: Iterable<string>, options: CallOptions = {}): Promise<void> {
  try {
    await pipeline(Readable.from(text), createWriteStream(file), options.signal ? { signal: options.signal } : {});
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') {
      throw new WinnowError('E_FILE_NOT_FOUND', 'cannot be created: its folder does not exist', { file, cause: error });
    }
    throw toWinnowError(error, 'E_DATASET_INVALID', { file });
  }
}
