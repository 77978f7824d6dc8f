import { describe, expect, it } from 'vitest';
import {
  chunkId,
  contentHash,
  documentIdFromPath,
  isWinnowError,
  normalizeText,
  sha256Hex,
  textHash,
} from '../src/index.js';

describe('hashing', () => {
  it('sha256Hex matches the published test vector for "abc"', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes bytes and their UTF-8 string the same', () => {
    const text = 'naïve café';
    expect(contentHash(new TextEncoder().encode(text))).toBe(contentHash(text));
  });

  it('normalizeText removes editor noise but keeps content', () => {
    expect(normalizeText('\n\nline one  \r\nline two\t\r\n\n')).toBe('line one\nline two');
    // NFC: "e" + combining acute equals precomposed "é".
    expect(normalizeText('cafe\u0301')).toBe('café');
    expect(normalizeText('a  b')).toBe('a  b');
  });

  it('textHash ignores CRLF and trailing spaces but not words', () => {
    expect(textHash('alpha\r\nbeta  ')).toBe(textHash('alpha\nbeta'));
    expect(textHash('alpha beta')).not.toBe(textHash('alpha  beta'));
  });
});

describe('chunkId', () => {
  it('is deterministic and 32 hex characters', () => {
    const a = chunkId('docs/a.md', 3, textHash('hello'));
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(chunkId('docs/a.md', 3, textHash('hello'))).toBe(a);
  });

  it('changes with document, ordinal and text', () => {
    const base = chunkId('docs/a.md', 3, textHash('hello'));
    expect(chunkId('docs/b.md', 3, textHash('hello'))).not.toBe(base);
    expect(chunkId('docs/a.md', 4, textHash('hello'))).not.toBe(base);
    expect(chunkId('docs/a.md', 3, textHash('hello!'))).not.toBe(base);
  });

  it('does not collide when fields run into each other', () => {
    expect(chunkId('a1', 2, 'x')).not.toBe(chunkId('a', 12, 'x'));
  });

  it('rejects a negative or fractional ordinal', () => {
    expect(() => chunkId('d', -1, 'h')).toThrow(RangeError);
    expect(() => chunkId('d', 1.5, 'h')).toThrow(RangeError);
  });
});

describe('documentIdFromPath', () => {
  it('is the root-relative path with forward slashes', () => {
    expect(documentIdFromPath('/data/docs', '/data/docs/guide/install.md')).toBe('guide/install.md');
  });

  it('refuses a path outside the root, naming the file', () => {
    try {
      documentIdFromPath('/data/docs', '/etc/passwd');
      expect.unreachable();
    } catch (error) {
      expect(isWinnowError(error, 'E_FILE_NOT_FOUND')).toBe(true);
      expect((error as Error).message).toContain('/etc/passwd');
    }
  });
});
