import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectMediaType } from '../src/index.js';
import { CORPORA } from './helpers.js';

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (value: string) => new TextEncoder().encode(value);

describe('detectMediaType', () => {
  it('recognises formats by their magic numbers, whatever the name', () => {
    const cases: Array<[Uint8Array, string]> = [
      [text('%PDF-1.7\n'), 'application/pdf'],
      [bytes(0x1f, 0x8b, 0x08, 0x00), 'application/gzip'],
      [bytes(0x50, 0x4b, 0x03, 0x04, 0x14), 'application/zip'],
      [bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), 'image/png'],
      [bytes(0xff, 0xd8, 0xff, 0xe0), 'image/jpeg'],
      [text('GIF89a'), 'image/gif'],
      [bytes(0x7f, 0x45, 0x4c, 0x46, 0x02), 'application/x-executable'],
      [bytes(0x00, 0x01, 0x02, 0x03), 'application/octet-stream'],
    ];
    for (const [content, type] of cases) expect(detectMediaType(content, 'file').mediaType, type).toBe(type);
  });

  it('finds a PDF header after leading junk and reads real corpus files', () => {
    expect(detectMediaType(text('\n\n   %PDF-1.4'), 'x.bin').mediaType).toBe('application/pdf');
    const pdf = readFileSync(join(CORPORA, 'pdf', 'hasyv2-paper-2col.pdf'));
    expect(detectMediaType(pdf, 'paper.pdf')).toEqual({ mediaType: 'application/pdf' });
    const html = readFileSync(join(CORPORA, 'html', 'en', 'index.html'));
    expect(detectMediaType(html, 'index.html')).toEqual({ mediaType: 'text/html' });
  });

  it('sniffs HTML (doctype, html tag, after an XML declaration or comments) and text with BOMs', () => {
    expect(detectMediaType(text('<!DOCTYPE html><p>x'), 'a.txt')).toEqual({
      mediaType: 'text/html',
      claimed: 'text/plain',
    });
    expect(detectMediaType(text('<?xml version="1.0"?>\n<!-- c -->\n<html>'), 'page').mediaType).toBe('text/html');
    expect(detectMediaType(text('# Title\n'), 'doc.md').mediaType).toBe('text/markdown');
    expect(detectMediaType(text('plain'), 'notes').mediaType).toBe('text/plain');
    const utf16 = new Uint8Array([0xff, 0xfe, ...new Uint8Array(Buffer.from('<html>', 'utf16le'))]);
    expect(detectMediaType(utf16, 'u.html').mediaType).toBe('text/html');
    expect(detectMediaType(bytes(0xfe, 0xff, 0x00, 0x41), 'u.txt').mediaType).toBe('text/plain');
  });

  it('reports when the bytes contradict the extension', () => {
    expect(detectMediaType(text('<!doctype html><html></html>'), 'report.pdf')).toEqual({
      mediaType: 'text/html',
      claimed: 'application/pdf',
    });
    expect(detectMediaType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), 'notes.txt')).toEqual({
      mediaType: 'image/png',
      claimed: 'text/plain',
    });
    // Office documents are zip files: the extension says which.
    expect(detectMediaType(bytes(0x50, 0x4b, 0x03, 0x04), 'letter.docx').mediaType).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
    // Binary without a known signature keeps the extension's type, so the PDF loader can name the damage.
    expect(detectMediaType(bytes(0x00, 0x9c, 0x01), 'damaged.pdf')).toEqual({ mediaType: 'application/pdf' });
  });
});
