/**
 * Strict text decoding: a byte-order mark picks UTF-8 or UTF-16, otherwise the declared encoding (or UTF-8)
 * is used, and invalid bytes are an `E_ENCODING` error naming the file and the byte offset, never replaced
 * silently by U+FFFD. Text that is not UTF-8 and declares nothing has its encoding detected (`decodeDetected`).
 */
import { TextDecoder } from 'node:util';
import { isWinnowError, WinnowError } from '@winnow/core';
import { analyse } from 'chardet';
import { type ByteOrderMark, byteOrderMark } from './detect.js';

export interface DecodedText {
  text: string;
  /** WHATWG encoding name, e.g. `utf-8`, `utf-16le`, `euc-kr`. */
  encoding: string;
  bom: boolean;
  /** Set when the encoding was detected from the bytes: the detector's confidence, 0–100. */
  confidence?: number;
}

const BOM_LENGTH: Record<ByteOrderMark, number> = { 'utf-8': 3, 'utf-16le': 2, 'utf-16be': 2 };

/** A decoder for a label, or undefined when the runtime does not know the encoding. */
export function decoderFor(label: string): TextDecoder | undefined {
  try {
    return new TextDecoder(label, { fatal: true, ignoreBOM: true });
  } catch {
    return undefined;
  }
}

/**
 * The offset of the first byte the decoder rejects: the longest prefix that decodes (in streaming mode, so an
 * unfinished sequence at the cut is not an error) is found by bisection.
 */
function firstInvalidByte(bytes: Uint8Array, encoding: string): number {
  let good = 0;
  let bad = bytes.length;
  while (bad - good > 1) {
    const mid = Math.floor((good + bad) / 2);
    const decoder = decoderFor(encoding);
    try {
      decoder?.decode(bytes.subarray(0, mid), { stream: true });
      good = mid;
    } catch {
      bad = mid;
    }
  }
  return sequenceStart(bytes, bad - 1, encoding);
}

/**
 * The decoder notices an error at the byte after a broken sequence; report where that sequence began
 * (the UTF-8 lead byte or the UTF-16 high surrogate that was left unfinished).
 */
function sequenceStart(bytes: Uint8Array, at: number, encoding: string): number {
  if (encoding === 'utf-8') {
    for (let p = at - 1; p >= 0 && p >= at - 3; p--) {
      const byte = bytes[p] ?? 0;
      if ((byte & 0xc0) === 0x80) continue;
      const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return p + length > at ? p : at;
    }
    return at;
  }
  if (encoding === 'utf-16le' || encoding === 'utf-16be') {
    const unit = at - (at % 2);
    const prev = unit - 2;
    if (prev >= 0) {
      const high = encoding === 'utf-16le' ? bytes[prev + 1] : bytes[prev];
      if (high !== undefined && high >= 0xd8 && high <= 0xdb) return prev;
    }
    return unit;
  }
  return at;
}

/**
 * Decodes bytes to text. `declared` is the encoding a format declares (an HTML meta charset); a byte-order
 * mark overrides it, as browsers do.
 */
export function decodeText(bytes: Uint8Array, file: string, declared?: string): DecodedText {
  const bom = byteOrderMark(bytes);
  const encoding = bom ?? declared ?? 'utf-8';
  const decoder = decoderFor(encoding);
  if (!decoder) {
    throw new WinnowError('E_ENCODING', `the declared encoding ${JSON.stringify(encoding)} is not supported`, { file });
  }
  const body = bom ? bytes.subarray(BOM_LENGTH[bom]) : bytes;
  try {
    return { text: decoder.decode(body), encoding: decoder.encoding, bom: bom !== undefined };
  } catch (error) {
    const offset = firstInvalidByte(body, encoding) + (bom ? BOM_LENGTH[bom] : 0);
    const value = bytes[offset];
    const shown = value === undefined ? 'end of file' : `0x${value.toString(16).padStart(2, '0')}`;
    throw new WinnowError('E_ENCODING', `invalid ${decoder.encoding} at byte offset ${offset} (${shown})`, {
      file,
      cause: error,
      details: { offset, encoding: decoder.encoding, byte: shown },
      hint: 'convert the file to UTF-8, or fix the bytes at that offset',
    });
  }
}

/** Bytes the detector looks at: its n-gram statistics settle long before this. */
const DETECTION_SAMPLE = 64 * 1024;

export interface DetectOptions {
  /** An encoding that overrides any declaration and detection (config `ingest.encoding`). */
  forced?: string | undefined;
  /** The encoding the document itself declares (an HTML meta charset). */
  declared?: string | undefined;
}

/**
 * Decodes text whatever its encoding: a byte-order mark, else a forced encoding, else a declared one, are used
 * strictly as `decodeText` does. Otherwise UTF-8 is tried, and when the bytes are not UTF-8 the encoding is
 * detected (chardet's statistics over the first 64 KiB: Latin-1, Windows-1251, KOI8-R, Shift_JIS, GB18030, …)
 * and the most likely candidate that decodes every byte is used, with the detector's `confidence`. When none
 * does, or when valid multi-byte UTF-8 comes before the first invalid byte (damaged UTF-8, not a legacy
 * encoding), it is `E_ENCODING` with the byte offset.
 */
export function decodeDetected(bytes: Uint8Array, file: string, options: DetectOptions = {}): DecodedText {
  const chosen = options.forced ?? options.declared;
  if (byteOrderMark(bytes) || chosen !== undefined) {
    if (options.forced !== undefined && !byteOrderMark(bytes) && !decoderFor(options.forced)) {
      throw new WinnowError('E_ENCODING', `the encoding ${JSON.stringify(options.forced)} is not supported`, {
        file,
        setting: 'ingest.encoding',
      });
    }
    return decodeText(bytes, file, chosen);
  }
  try {
    return decodeText(bytes, file, 'utf-8');
  } catch (error) {
    if (!isWinnowError(error, 'E_ENCODING')) throw error;
    // Valid multi-byte UTF-8 before the first bad byte: damaged UTF-8, not another encoding.
    const badByte = Number(error.details?.offset ?? 0);
    if (bytes.subarray(0, badByte).some((byte) => byte >= 0x80)) throw error;
    for (const candidate of analyse(bytes.subarray(0, DETECTION_SAMPLE))) {
      const label = candidate.name.toLowerCase();
      if (label.startsWith('utf')) continue;
      const decoder = decoderFor(label);
      if (!decoder) continue;
      try {
        return {
          text: decoder.decode(bytes),
          encoding: decoder.encoding,
          bom: false,
          confidence: candidate.confidence,
        };
      } catch {
        // Not this one: some bytes are invalid in it.
      }
    }
    const { offset, byte } = error.details ?? {};
    throw new WinnowError(
      'E_ENCODING',
      `invalid utf-8 at byte offset ${offset} (${byte}), and no other encoding fits`,
      {
        file,
        cause: error,
        ...(error.details ? { details: error.details } : {}),
        hint: 'set ingest.encoding to the right one, or convert the file to UTF-8',
      },
    );
  }
}
