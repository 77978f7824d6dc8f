import type { Block, Metadata, ParsedDocument, Provenance, SourceDocument } from './types.js';

/** The separator between blocks in a parsed document's normalised text. */
export const BLOCK_SEPARATOR = '\n\n';

/** A block as a loader produces it: offsets are filled in by `assembleDocument`. */
export type DraftBlock = Block extends infer B
  ? B extends Block
    ? Omit<B, 'provenance'> & { provenance?: Omit<Provenance, 'charStart' | 'charEnd'> }
    : never
  : never;

export interface DocumentHeader {
  id: string;
  uri: string;
  mediaType: string;
  title?: string;
  metadata: Metadata;
  contentHash: string;
}

/** The header of a parsed document: the source's identity with the loader's metadata and title (when found). */
export function documentHeader(source: SourceDocument, metadata: Metadata, title?: string): DocumentHeader {
  return {
    id: source.id,
    uri: source.uri,
    mediaType: source.mediaType,
    metadata,
    contentHash: source.contentHash,
    ...(title ? { title } : {}),
  };
}

/**
 * Joins blocks into one normalised text and fills in each block's character offsets, so every loader
 * produces documents with the same invariant: `text.slice(b.provenance.charStart, b.provenance.charEnd) === b.text`.
 * Empty non-page-break blocks are dropped; page breaks are kept as zero-length markers.
 */
export function assembleDocument(header: DocumentHeader, drafts: readonly DraftBlock[]): ParsedDocument {
  const blocks: Block[] = [];
  let text = '';
  for (const draft of drafts) {
    if (draft.kind !== 'pageBreak' && draft.text.length === 0) continue;
    if (draft.kind !== 'pageBreak' && text.length > 0) text += BLOCK_SEPARATOR;
    const charStart = text.length;
    text += draft.text;
    blocks.push({ ...draft, provenance: { ...draft.provenance, charStart, charEnd: text.length } } as Block);
  }
  return { ...header, text, blocks };
}

/** Checks the offset invariant; returns a description of the first violation, or undefined. */
export function findProvenanceViolation(doc: ParsedDocument): string | undefined {
  for (const [index, block] of doc.blocks.entries()) {
    const { charStart, charEnd } = block.provenance;
    if (charStart < 0 || charEnd < charStart || charEnd > doc.text.length) {
      return `blocks[${index}]: offsets ${charStart}..${charEnd} outside text of length ${doc.text.length}`;
    }
    if (doc.text.slice(charStart, charEnd) !== block.text) {
      return `blocks[${index}]: text does not equal the slice ${charStart}..${charEnd}`;
    }
  }
  return undefined;
}
