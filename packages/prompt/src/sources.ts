import type { Candidate, Chunk, ContextSource, JsonValue } from '@winnow/core';
import { BLOCK_SEPARATOR } from '@winnow/core';

/** A source as packed into a prompt: core's ContextSource plus what the prompt shows about it. */
export interface PackedSource extends ContextSource {
  /** Last page, when the source spans several. */
  pageEnd?: number;
  /** Pages and heading path as shown to the model, e.g. `pp. 3–4 · Guide › Install`; empty when unknown. */
  location: string;
  /** 0-based position, among the candidates given, of the best candidate in this source. */
  rank: number;
}

/** A candidate with its position in the input (best first). */
export interface RankedCandidate {
  candidate: Candidate;
  rank: number;
}

/**
 * Turns the chosen candidates into sources, best first. With `mergeAdjacent`, chunks of one document that
 * are neighbours (consecutive ordinals, or touching or overlapping character spans) become one source whose
 * text is their union, overlaps included once. Labels are left at 0: they depend on the prompt order.
 */
export function buildSources(chosen: readonly RankedCandidate[], mergeAdjacent: boolean): PackedSource[] {
  const runs = mergeAdjacent ? mergeRuns(chosen) : chosen.map((item) => [item]);
  return runs.map(sourceOfRun).sort((a, b) => a.rank - b.rank);
}

function mergeRuns(chosen: readonly RankedCandidate[]): RankedCandidate[][] {
  const byDocument = new Map<string, RankedCandidate[]>();
  for (const item of chosen) {
    const list = byDocument.get(item.candidate.chunk.documentId) ?? [];
    list.push(item);
    byDocument.set(item.candidate.chunk.documentId, list);
  }
  const runs: RankedCandidate[][] = [];
  for (const items of byDocument.values()) {
    const inDocumentOrder = [...items].sort(
      (a, b) =>
        a.candidate.chunk.provenance.charStart - b.candidate.chunk.provenance.charStart ||
        a.candidate.chunk.ordinal - b.candidate.chunk.ordinal,
    );
    let run: RankedCandidate[] = [];
    let runEnd = Number.NEGATIVE_INFINITY;
    let runLastOrdinal = Number.NEGATIVE_INFINITY;
    for (const item of inDocumentOrder) {
      const { provenance, ordinal } = item.candidate.chunk;
      const adjacent = ordinal === runLastOrdinal + 1 || provenance.charStart <= runEnd;
      if (run.length > 0 && !adjacent) {
        runs.push(run);
        run = [];
        runEnd = Number.NEGATIVE_INFINITY;
        runLastOrdinal = Number.NEGATIVE_INFINITY;
      }
      run.push(item);
      runEnd = Math.max(runEnd, provenance.charEnd);
      runLastOrdinal = Math.max(runLastOrdinal, ordinal);
    }
    if (run.length > 0) runs.push(run);
  }
  return runs;
}

/**
 * Joins the texts of a run of chunks in document order by their offsets: an overlap is taken once, a chunk
 * inside text already taken adds nothing, and a gap between chunks becomes a block separator. When offsets
 * and texts disagree (a chunker that does not slice exactly), texts are joined whole rather than cut wrongly.
 */
export function mergeChunkTexts(chunks: readonly Chunk[]): string {
  const [first, ...rest] = chunks;
  if (first === undefined) return '';
  let text = first.text;
  // `text` covers the document from `start` to `end`; `shift` is how far text positions moved from document
  // positions because gaps were replaced by separators.
  const start = first.provenance.charStart;
  let end = first.provenance.charEnd;
  let shift = 0;
  for (const chunk of rest) {
    const { charStart, charEnd } = chunk.provenance;
    if (charStart < end) {
      const at = charStart - start + shift;
      const overlap = Math.min(end, charEnd) - charStart;
      if (text.slice(at, at + overlap) === chunk.text.slice(0, overlap)) {
        text += chunk.text.slice(overlap);
      } else {
        text += BLOCK_SEPARATOR + chunk.text;
        shift += BLOCK_SEPARATOR.length + (end - charStart);
      }
    } else if (charStart === end) {
      text += chunk.text;
    } else {
      text += BLOCK_SEPARATOR + chunk.text;
      shift += BLOCK_SEPARATOR.length - (charStart - end);
    }
    end = Math.max(end, charEnd);
  }
  return text;
}

function sourceOfRun(run: readonly RankedCandidate[]): PackedSource {
  const ordered = [...run].sort(
    (a, b) =>
      a.candidate.chunk.provenance.charStart - b.candidate.chunk.provenance.charStart ||
      a.candidate.chunk.ordinal - b.candidate.chunk.ordinal,
  );
  const chunks = ordered.map((item) => item.candidate.chunk);
  const first = ordered[0];
  if (first === undefined) throw new Error('a source needs at least one chunk');
  const best = run.reduce((a, b) => (b.rank < a.rank ? b : a));
  const document = run.find((item) => item.candidate.document !== undefined)?.candidate.document;
  const chunk = first.candidate.chunk;
  const uri =
    document?.uri ?? stringField(chunk.metadata.uri) ?? stringField(chunk.metadata.source) ?? chunk.documentId;
  const title =
    nonEmpty(document?.title) ??
    stringField(document?.metadata.title) ??
    stringField(chunk.metadata.title) ??
    basenameOf(uri);
  const pages = pagesOf(chunks);
  const page = pages[0];
  const pageEnd = pages.length > 1 ? pages[pages.length - 1] : undefined;
  const headingPath = chunk.headingPath;
  const source: PackedSource = {
    label: 0,
    documentId: chunk.documentId,
    chunkIds: chunks.map((c) => c.id),
    uri,
    headingPath,
    text: mergeChunkTexts(chunks),
    location: describeLocation(page, pageEnd, headingPath),
    rank: best.rank,
  };
  if (title !== undefined) source.title = title;
  if (page !== undefined) source.page = page;
  if (pageEnd !== undefined) source.pageEnd = pageEnd;
  return source;
}

/** Every page the chunks touch, ascending. */
function pagesOf(chunks: readonly Chunk[]): number[] {
  const pages = new Set<number>();
  for (const { provenance } of chunks) {
    for (const page of provenance.pages ?? []) pages.add(page);
    if (provenance.page !== undefined) {
      const last = provenance.pageEnd ?? provenance.page;
      for (let page = provenance.page; page <= last; page += 1) pages.add(page);
    }
  }
  return [...pages].sort((a, b) => a - b);
}

/** `p. 3`, `pp. 3–5`, the heading path joined by ' › ', or both joined by ' · '. */
export function describeLocation(page: number | undefined, pageEnd: number | undefined, headingPath: string[]): string {
  const parts: string[] = [];
  if (page !== undefined)
    parts.push(pageEnd !== undefined && pageEnd !== page ? `pp. ${page}–${pageEnd}` : `p. ${page}`);
  const headings = headingPath.map((heading) => heading.trim()).filter((heading) => heading !== '');
  if (headings.length > 0) parts.push(headings.join(' › '));
  return parts.join(' · ');
}

function stringField(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' ? nonEmpty(value) : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The last path segment of a URI or path, decoded, without query or fragment. */
export function basenameOf(uri: string): string | undefined {
  const path = uri.replace(/[?#].*$/, '').replace(/\/+$/, '');
  const last = path.split(/[/\\]/).pop() ?? '';
  let decoded = last;
  try {
    decoded = decodeURIComponent(last);
  } catch {
    // A malformed escape: keep the raw segment.
  }
  return nonEmpty(decoded.replace(/^[a-z][a-z0-9+.-]*:/i, ''));
}
