import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectAll, decodeText, folderSource } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'winnow-ingest-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TEXT = 'First paragraph,\nsecond line.  \n\n\nSecond paragraph: naïve café ✓\n';

function utf16be(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1] ?? 0, le[i] ?? 0];
  return le;
}

writeFileSync(join(dir, 'plain.txt'), TEXT);
writeFileSync(join(dir, 'bom8.txt'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)]));
writeFileSync(join(dir, 'le16.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]));
writeFileSync(join(dir, 'be16.txt'), Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)]));
// "caf" then a Latin-1 é (0xE9) where UTF-8 needs a two-byte sequence: invalid at byte 20.
writeFileSync(
  join(dir, 'latin1.txt'),
  Buffer.concat([Buffer.from('valid line\nand a caf'), Buffer.from([0xe9, 0x0a])]),
);
writeFileSync(join(dir, 'crlf.txt'), 'one\r\ntwo\r\n\r\nthree\r\n');

describe('plain text loading', async () => {
  const { documents, failures } = await collectAll(folderSource(dir));
  const byId = new Map(documents.map((d) => [d.id, d]));

  it.each(['plain.txt', 'bom8.txt', 'le16.txt', 'be16.txt'])('decodes %s to the same paragraphs and lines', (id) => {
    const doc = byId.get(id);
    expect(doc?.blocks.map((b) => [b.text, b.provenance.lineStart, b.provenance.lineEnd])).toEqual([
      ['First paragraph,\nsecond line.', 1, 2],
      ['Second paragraph: naïve café ✓', 5, 5],
    ]);
    expect(doc?.mediaType).toBe('text/plain');
  });

  it('records the encoding it used', () => {
    expect(byId.get('le16.txt')?.metadata.encoding).toBe('utf-16le');
    expect(byId.get('be16.txt')?.metadata.encoding).toBe('utf-16be');
    expect(byId.get('bom8.txt')?.metadata.encoding).toBe('utf-8');
  });

  it('handles CRLF line ends', () => {
    expect(byId.get('crlf.txt')?.blocks.map((b) => b.text)).toEqual(['one\ntwo', 'three']);
  });

  it('reads text that is not UTF-8 in the encoding detected from its bytes, and records it', () => {
    expect(failures).toEqual([]);
    const latin1 = byId.get('latin1.txt');
    expect(latin1?.text).toBe('valid line\nand a café');
    expect(latin1?.metadata).toMatchObject({ encoding: 'windows-1252', encodingGuessed: true });
    expect(documents).toHaveLength(6);
  });
});

describe('a forced encoding (ingest.encoding)', () => {
  it('is used strictly: invalid bytes are E_ENCODING with the file and the byte offset', async () => {
    const { documents, failures } = await collectAll(folderSource(dir, { include: ['latin1.txt'], encoding: 'utf-8' }));
    expect(documents).toEqual([]);
    expect(failures).toEqual([
      {
        id: 'latin1.txt',
        uri: expect.stringMatching(/latin1\.txt$/),
        code: 'E_ENCODING',
        message: expect.stringMatching(/latin1\.txt.*invalid utf-8 at byte offset 20 \(0xe9\)/),
      },
    ]);
  });
});

describe('decodeText', () => {
  it('points at the start of a broken sequence', () => {
    expect(() => decodeText(new Uint8Array([0x61, 0xe2, 0x82]), 'cut.txt')).toThrow(/cut\.txt.*byte offset 1 \(0xe2\)/);
    const lone = new Uint8Array([0xff, 0xfe, 0x41, 0x00, 0x00, 0xd8, 0x41, 0x00]);
    expect(() => decodeText(lone, 'u16.txt')).toThrow(/invalid utf-16le at byte offset 4/);
  });

  it('decodes a declared legacy encoding', () => {
    expect(decodeText(new Uint8Array([0xb0, 0xa1]), 'ko.txt', 'euc-kr').text).toBe('가');
    expect(() => decodeText(new Uint8Array([0x41]), 'x.txt', 'no-such-charset')).toThrow(/E_ENCODING.*not supported/);
  });
});
