import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { contentHash, type ParsedDocument, type SourceDocument } from '@winnow/core';
import { detectMediaType } from '../src/index.js';

export const SHARED = process.env.WINNOW_SHARED ?? '/work/shared';
export const CORPORA = join(SHARED, 'corpora');
export const DATASETS = join(SHARED, 'datasets');

/** A source document for a real file, as the folder source would build it. */
export function sourceOf(path: string, id = path.split('/').at(-1) ?? path): SourceDocument {
  const bytes = new Uint8Array(readFileSync(path));
  return {
    id,
    uri: pathToFileURL(path).href,
    mediaType: detectMediaType(bytes, path).mediaType,
    bytes,
    metadata: {},
    contentHash: contentHash(bytes),
  };
}

/** The comparison expected.json describes: runs of whitespace collapse to one space, or vanish for CJK. */
export function normalizeForMatch(text: string, match: string | undefined): string {
  return match?.includes('removed') ? text.replace(/\s+/g, '') : text.replace(/\s+/g, ' ').trim();
}

/** Text of the blocks on one PDF page. */
export function pageText(doc: ParsedDocument, page: number): string {
  return doc.blocks
    .filter((b) => b.provenance.page === page)
    .map((b) => b.text)
    .join('\n');
}
