import { type Chunk, type ParsedDocument, WinnowError } from '@winnow/core';

/**
 * Joins a document's chunks back into its text, removing overlaps by provenance offsets.
 *
 * Chunks are placed by `charStart`; the part of a chunk already covered by earlier chunks is dropped. What lies
 * between chunks (and before the first and after the last) is taken from `doc.text` with every non-whitespace
 * character removed: chunks leave out only the whitespace that separates them, so the result equals `doc.text`
 * exactly when the chunks cover every non-whitespace character, and any lost text shows as a difference.
 * Chunks of other documents are ignored.
 */
export function reconstructText(doc: ParsedDocument, chunks: readonly Chunk[]): string {
  const own = chunks
    .filter((chunk) => chunk.documentId === doc.id)
    .sort((a, b) => a.provenance.charStart - b.provenance.charStart || a.ordinal - b.ordinal);
  let out = '';
  let cursor = 0;
  for (const chunk of own) {
    const { charStart, charEnd } = chunk.provenance;
    if (charEnd - charStart !== chunk.text.length || charStart < 0 || charEnd > doc.text.length) {
      throw new WinnowError(
        'E_INTERNAL',
        `chunk ${chunk.ordinal} (${chunk.id}): offsets ${charStart}..${charEnd} do not fit its text of length ${chunk.text.length} in a document of length ${doc.text.length}`,
        { file: doc.uri, field: `chunks[${chunk.ordinal}].provenance` },
      );
    }
    if (charEnd <= cursor) continue;
    if (charStart > cursor) out += separatorOnly(doc.text.slice(cursor, charStart));
    out += chunk.text.slice(Math.max(0, cursor - charStart));
    cursor = charEnd;
  }
  return out + separatorOnly(doc.text.slice(cursor));
}

function separatorOnly(gap: string): string {
  return gap.replace(/\S/gu, '');
}
