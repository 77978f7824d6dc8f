/** JSON-compatible values, the only kind allowed in metadata (it is stored as jsonb). */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type Metadata = { [key: string]: JsonValue };

/** A file or record as found by a source, before parsing. */
export interface SourceDocument {
  /** Stable id: the path relative to the source root, or the corpus id. */
  id: string;
  /** Where it came from: a file URL, an http(s) URL, or `beir:<corpus>#<id>`. */
  uri: string;
  /** IANA media type detected from the bytes and the extension, e.g. `application/pdf`. */
  mediaType: string;
  /** Raw bytes (files) or decoded text (records); at least one is present. */
  bytes?: Uint8Array;
  text?: string;
  metadata: Metadata;
  /** SHA-256 of the raw content: the "changed?" test of an incremental reindex. */
  contentHash: string;
}

/**
 * Where a piece of text came from. Character offsets index the parsed document's normalised `text`
 * (end exclusive), so `doc.text.slice(charStart, charEnd)` is the block's text.
 */
export interface Provenance {
  charStart: number;
  charEnd: number;
  /** 1-based PDF page of the start (and end, when it differs). */
  page?: number;
  pageEnd?: number;
  /** 1-based line range in the source file, for text formats. */
  lineStart?: number;
  lineEnd?: number;
}

export type HeadingLevel = 1 | 2 | 3 | 4 | 5 | 6;

interface BlockBase {
  /** The block's normalised text; for lists and tables, a plain-text rendering. */
  text: string;
  provenance: Provenance;
}
export interface HeadingBlock extends BlockBase {
  kind: 'heading';
  level: HeadingLevel;
}
export interface ParagraphBlock extends BlockBase {
  kind: 'paragraph';
}
export interface ListBlock extends BlockBase {
  kind: 'list';
  ordered: boolean;
  items: string[];
}
export interface TableBlock extends BlockBase {
  kind: 'table';
  rows: string[][];
}
export interface CodeBlock extends BlockBase {
  kind: 'code';
  language?: string;
}
/** Marks the start of a PDF page; its text is empty. */
export interface PageBreakBlock extends BlockBase {
  kind: 'pageBreak';
  page: number;
}
export type Block = HeadingBlock | ParagraphBlock | ListBlock | TableBlock | CodeBlock | PageBreakBlock;
export type BlockKind = Block['kind'];

/** A loader's output: ordered blocks over one normalised text. */
export interface ParsedDocument {
  id: string;
  uri: string;
  mediaType: string;
  title?: string;
  metadata: Metadata;
  contentHash: string;
  /** The blocks' texts joined by blank lines; every offset refers to this string. */
  text: string;
  blocks: Block[];
}

export interface ChunkProvenance extends Provenance {
  /** Every page the chunk touches, ascending (PDFs only). */
  pages?: number[];
}

/** A unit of retrieval. */
export interface Chunk {
  /** Deterministic: see `chunkId`. */
  id: string;
  documentId: string;
  /** 0-based position within its document. */
  ordinal: number;
  /** The clean text, exactly a slice of the document's normalised text. */
  text: string;
  /** Headings above this chunk, outermost first, e.g. ['Guide', 'Install', 'Linux']. */
  headingPath: string[];
  /** Length of `text` in the embedding model's tokens (special tokens included). */
  tokenCount: number;
  provenance: ChunkProvenance;
  metadata: Metadata;
  /**
   * `textHash` of what is embedded (`embedText` when present, else `text`): equal hashes mean an equal
   * embedding, so a reindex reuses stored vectors for chunks whose hash did not change.
   */
  hash: string;
  /** What is embedded when it differs from `text` (e.g. title and heading path prepended). */
  embedText?: string;
}

export interface EmbeddedChunk extends Chunk {
  embedding: Float32Array;
}

/** What the store keeps about a document. */
export interface DocumentRecord {
  id: string;
  uri: string;
  contentHash: string;
  title?: string;
  metadata: Metadata;
}

/** The stages that can score a candidate. */
export type ScoreStage = 'dense' | 'lexical' | 'fused' | 'rerank' | 'final';
export type StageScores = Partial<Record<ScoreStage, number>>;

/** A chunk on its way through retrieval, with every stage's score and 1-based rank kept side by side. */
export interface Candidate {
  chunk: Chunk;
  document?: DocumentRecord;
  scores: StageScores;
  ranks: StageScores;
}

export interface StageTimings {
  embedMs?: number;
  recallMs?: number;
  dedupeMs?: number;
  rerankMs?: number;
  fuseMs?: number;
  /** Every stage's time by stage name (the query transform's too), and what stages recorded themselves. */
  stagesMs?: Record<string, number>;
  totalMs: number;
}

export interface RetrievalResult {
  query: string;
  /** Final order, best first. */
  candidates: Candidate[];
  /** How many candidates stage 1 returned before de-duplication and reranking. */
  recalled: number;
  timings: StageTimings;
  /** What was changed to answer, e.g. query tokens dropped beyond `recall.maxQueryTokens`. Absent when none. */
  warnings?: string[];
}
