import {
  type CallOptions,
  type DraftBlock,
  documentHeader,
  type Loader,
  type Metadata,
  type ParsedDocument,
  type SourceDocument,
  throwIfAborted,
} from '@winnow/core';
import { decodeText } from '../decode.js';
import { MEDIA_TYPES } from '../detect.js';
import { assembleNormalized } from '../normalize.js';

/** A source's text: decoded strictly from its bytes, or given as text (records). */
export function sourceText(source: SourceDocument): { text: string; encoding?: string } {
  if (source.bytes) {
    const decoded = decodeText(source.bytes, source.uri);
    return { text: decoded.text, encoding: decoded.encoding };
  }
  return { text: source.text ?? '' };
}

/** Splits text into paragraphs at blank lines, with 1-based line ranges. Trailing spaces are dropped. */
export function textParagraphs(text: string): DraftBlock[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const drafts: DraftBlock[] = [];
  let start = -1;
  const flush = (end: number) => {
    if (start < 0) return;
    const body = lines
      .slice(start, end)
      .map((line) => line.replace(/\s+$/u, ''))
      .join('\n');
    drafts.push({ kind: 'paragraph', text: body, provenance: { lineStart: start + 1, lineEnd: end } });
    start = -1;
  };
  lines.forEach((line, index) => {
    if (line.trim().length === 0) flush(index);
    else if (start < 0) start = index;
  });
  flush(lines.length);
  return drafts;
}

/** Plain text: UTF-8 (with or without BOM) or UTF-16 by BOM; paragraphs split on blank lines. */
export class TextLoader implements Loader {
  readonly name = 'text';
  readonly mediaTypes = [MEDIA_TYPES.text] as const;

  async load(source: SourceDocument, options: CallOptions = {}): Promise<ParsedDocument> {
    throwIfAborted(options.signal, `loading ${source.uri}`);
    const { text, encoding } = sourceText(source);
    const metadata: Metadata = { ...source.metadata, ...(encoding ? { encoding } : {}) };
    const title = typeof metadata.title === 'string' ? metadata.title : undefined;
    return assembleNormalized(documentHeader(source, metadata, title), textParagraphs(text.normalize('NFC')));
  }
}

/** One retrieval passage (a BEIR record): the whole text is one paragraph, whitespace collapsed. */
export class PassageLoader implements Loader {
  readonly name = 'passage';
  readonly mediaTypes = [MEDIA_TYPES.passage] as const;

  async load(source: SourceDocument, options: CallOptions = {}): Promise<ParsedDocument> {
    throwIfAborted(options.signal, `loading ${source.uri}`);
    const { text } = sourceText(source);
    const title = typeof source.metadata.title === 'string' ? source.metadata.title : undefined;
    return assembleNormalized(documentHeader(source, source.metadata, title), [
      { kind: 'paragraph', text: text.normalize('NFC').replace(/\s+/g, ' ').trim() },
    ]);
  }
}
