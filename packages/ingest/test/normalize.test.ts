import { contentHash, type SourceDocument } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { HtmlLoader, MarkdownLoader, PassageLoader, TextLoader } from '../src/index.js';
import { normalizeText, repairSpacingAccents } from '../src/normalize.js';

function source(text: string, mediaType: string, id = 'doc'): SourceDocument {
  const bytes = new TextEncoder().encode(text);
  return { id, uri: `file:///fixtures/${id}`, mediaType, bytes, metadata: {}, contentHash: contentHash(bytes) };
}

const CONTROL = /[^\P{Cc}\t\n]/u;

describe('normalizeText', () => {
  it('removes C0 and C1 controls but keeps tabs and line breaks; CR, VT and FF become line breaks', () => {
    expect(normalizeText('a\u0000b\u0007c\u001bd\u007fe\u0085f\u009fg')).toBe('abcdefg');
    expect(normalizeText('col1\tcol2\r\nnext\rlast\fpage\vtab')).toBe('col1\tcol2\nnext\nlast\npage\ntab');
  });

  it('composes to NFC', () => {
    expect(normalizeText('cafe\u0301')).toBe('café');
    expect(normalizeText('cafe\u0301').length).toBe(4);
  });

  it('joins a detached spacing accent to its letter where they compose, and leaves apostrophes alone', () => {
    expect(repairSpacingAccents('caf´e')).toBe('caf´e'); // between letters: an apostrophe, kept
    expect(repairSpacingAccents('´etude and cafe´ and na¨ive')).toBe('étude and café and na¨ive');
    expect(repairSpacingAccents('΄Ενα ΄ολο')).toBe('Ένα όλο');
    expect(repairSpacingAccents('l´eau, don´t')).toBe('l´eau, don´t');
    // t with an acute has no precomposed form: left as it was.
    expect(repairSpacingAccents('´t')).toBe('´t');
    expect(normalizeText('code ´x', { accents: false })).toBe('code ´x');
  });
});

describe('every loader normalises its text', () => {
  const dirty = 'Alpha\u0000 beta\u0002 gamma\u0085 cafe\u0301\r\nsecond line ´etude';
  const cases: [string, SourceDocument, { load: TextLoader['load'] }][] = [
    ['text', source(dirty, 'text/plain', 'a.txt'), new TextLoader()],
    ['markdown', source(`# Title\u0000\n\n${dirty}\n`, 'text/markdown', 'a.md'), new MarkdownLoader()],
    [
      'html',
      source(`<html><body><h1>Title\u0001</h1><p>${dirty}</p></body></html>`, 'text/html', 'a.html'),
      new HtmlLoader(),
    ],
    [
      'passage',
      { ...source('', 'text/x-passage', 'p1'), bytes: undefined, text: dirty } as SourceDocument,
      new PassageLoader(),
    ],
  ];
  for (const [name, input, loader] of cases) {
    it(`${name}: no control characters, NFC, accents joined`, async () => {
      const doc = await loader.load(input);
      expect(CONTROL.test(doc.text)).toBe(false);
      expect(doc.text).toBe(doc.text.normalize('NFC'));
      expect(doc.text).toContain('café');
      expect(doc.text).toContain('étude');
      expect(doc.text).toContain('Alpha beta gamma');
      for (const block of doc.blocks)
        expect(doc.text.slice(block.provenance.charStart, block.provenance.charEnd)).toBe(block.text);
    });
  }
});
