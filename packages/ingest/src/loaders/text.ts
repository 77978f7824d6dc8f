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
import { type DecodedText, decodeDetected } from '../decode.js';
import { MEDIA_TYPES } from '../detect.js';
import { assembleNormalized } from '../normalize.js';

/** The charset a source's media type names (`text/plain; charset=windows-1251`): set from `ingest.encoding`. */
export function forcedCharset(source: SourceDocument): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(source.mediaType)?.[1];
}

/** Metadata describing how a text was decoded: `encoding`, and for a detected one `encodingGuessed` and confidence. */
export function encodingMetadata(decoded: DecodedText): Metadata {
  return {
    encoding: decoded.encoding,
    ...(decoded.confidence === undefined ? {} : { encodingGuessed: true, encodingConfidence: decoded.confidence }),
  };
}

/** A source's text: decoded from its bytes (any encoding, see `decodeDetected`), or given as text (records). */
export function sourceText(source: SourceDocument): { text: string; metadata: Metadata } {
  if (source.bytes) {
    const decoded = decodeDetected(source.bytes, source.uri, { forced: forcedCharset(source) });
    return { text: decoded.text, metadata: encodingMetadata(decoded) };
  }
  return { text: source.text ?? '', metadata: {} };
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

/** Plain text in any encoding (BOM, `ingest.encoding`, UTF-8, else detected); paragraphs split on blank lines. */
export class TextLoader implements Loader {
  readonly name = 'text';
  readonly mediaTypes = [MEDIA_TYPES.text] as const;

  async load(source: SourceDocument, options: CallOptions = {}): Promise<ParsedDocument> {
    throwIfAborted(options.signal, `loading ${source.uri}`);
    const { text, metadata: decoding } = sourceText(source);
    const metadata: Metadata = { ...source.metadata, ...decoding };
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
