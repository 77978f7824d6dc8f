import { createHash } from 'node:crypto';

/** Hex SHA-256 of bytes or of a string's UTF-8 encoding. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Normalises text before hashing or comparison so that editor noise does not change identity:
 * Unicode NFC, CRLF/CR to LF, trailing whitespace on lines removed, no leading/trailing blank lines.
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\f\v\u00a0]+$/gm, '')
    .replace(/^\n+|\n+$/g, '');
}

/** Content hash of a source document's raw bytes (or text): decides "changed" in a reindex. */
export function contentHash(content: string | Uint8Array): string {
  return sha256Hex(content);
}

/** Hash of a chunk's text after normalisation: decides whether a stored embedding can be reused. */
export function textHash(text: string): string {
  return sha256Hex(normalizeText(text));
}

/**
 * Deterministic chunk id: the same document, position and text give the same id on every run,
 * so re-chunking unchanged input is a no-op for the store. 32 hex characters (128 bits).
 */
export function chunkId(documentId: string, ordinal: number, chunkTextHash: string): string {
  if (!Number.isInteger(ordinal) || ordinal < 0) {
    throw new RangeError(`chunk ordinal must be a non-negative integer, got ${ordinal}`);
  }
  return sha256Hex(`${documentId}\u0000${ordinal}\u0000${chunkTextHash}`).slice(0, 32);
}
