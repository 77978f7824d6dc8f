import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type CallOptions, toWinnowError, WinnowError } from '@winnow/core';

/** Streams generated text into a file, so a large run never forms one string; errors name the file. */
export async function writeText(file: string, text: Iterable<string>, options: CallOptions = {}): Promise<void> {
  try {
    await pipeline(
      Readable.from(inBlocks(text)),
      createWriteStream(file),
      options.signal ? { signal: options.signal } : {},
    );
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') {
      throw new WinnowError('E_FILE_NOT_FOUND', 'cannot be created: its folder does not exist', { file, cause: error });
    }
    throw toWinnowError(error, 'E_DATASET_INVALID', { file });
  }
}

/** Joins small pieces (one line each) into blocks of about 64 KiB: one stream write per line is slow. */
function* inBlocks(pieces: Iterable<string>): Generator<string> {
  let block = '';
  for (const piece of pieces) {
    block += piece;
    if (block.length >= 65_536) {
      yield block;
      block = '';
    }
  }
  if (block !== '') yield block;
}
