import type { Principal } from './access.js';
import type { ChatMessage } from './chat.js';
import type { Filter } from './filter.js';
import type { Candidate, Chunk, DocumentRecord, EmbeddedChunk, ParsedDocument, SourceDocument } from './types.js';

/** Every async operation takes an optional AbortSignal. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Turns a source document's bytes or text into blocks. */
export interface Loader {
  readonly name: string;
  /** Media types this loader parses, e.g. ['text/markdown']. */
  readonly mediaTypes: readonly string[];
  load(source: SourceDocument, options?: CallOptions): Promise<ParsedDocument>;
}

/** Counts text in a model's own tokens (special tokens included, as the model will see it). */
export interface TokenCounter {
  /** Identifies the tokenizer, e.g. the model id; part of chunk settings' identity. */
  readonly id: string;
  count(text: string): number;
}

export interface Chunker {
  chunk(document: ParsedDocument, options?: CallOptions): Promise<Chunk[]>;
}

export type EmbedInputType = 'query' | 'document';

export interface EmbedOptions extends CallOptions {
  /** Queries and documents may get different prefixes or instructions. Default 'document'. */
  inputType?: EmbedInputType;
}

export interface EmbeddingBatch {
  /** One vector per input, in input order. */
  vectors: Float32Array[];
  /** Positions of inputs that were cut at the model's maximum length. */
  truncated: number[];
  /** Total tokens embedded, when the embedder knows it. */
  tokens?: number;
}

export interface Embedder {
  /** Identifies model and numeric settings, e.g. `all-MiniLM-L6-v2@q8`; the store records it. */
  readonly modelId: string;
  readonly dimensions: number;
  /** Longest input in tokens, special tokens included. */
  readonly maxTokens: number;
  /** Batch-first: many texts per call. An empty text is an error naming its position. */
  embed(texts: readonly string[], options?: EmbedOptions): Promise<EmbeddingBatch>;
  close?(): Promise<void>;
}

/** A rerank call's options: the principal lets a caching reranker keep each principal's scores apart. */
export interface RerankCallOptions extends CallOptions {
  principal?: Principal | undefined;
}

export interface Reranker {
  readonly modelId: string;
  /** Relevance of each passage to the query, higher is better, in input order. */
  score(query: string, passages: readonly string[], options?: RerankCallOptions): Promise<number[]>;
  close?(): Promise<void>;
}

export type DistanceMetric = 'cosine' | 'inner_product' | 'l2';
export type RecallMode = 'dense' | 'lexical' | 'hybrid';
/**
 * 'plain': the query is a bag of its words and a chunk holding any of them matches (quotes, `or` and a leading `-`
 * are ordinary text). 'websearch': web-search syntax (`"phrase"`, `-word`, `or`), and every other word is required.
 */
export type LexicalSyntax = 'plain' | 'websearch';

/** Maximal marginal relevance over a dense top list: trades relevance for diversity. */
export interface MmrOptions {
  /** 1 = relevance only; lower values favour diversity. */
  lambda: number;
  /** Nearest neighbours fetched before MMR picks k of them. Default max(4k, 20). */
  candidates?: number | undefined;
}

/**
 * The recall settings, stated once: the config's `recall` section, the retriever's `recall` option and the store's
 * search request all use this shape (the request adds the query's vector and text).
 */
export interface RecallSettings {
  mode: RecallMode;
  k: number;
  filter?: Filter | undefined;
  /** HNSW candidate list size for this query. */
  efSearch?: number | undefined;
  /** Reciprocal-rank fusion for 'hybrid'. */
  rrfK?: number | undefined;
  denseWeight?: number | undefined;
  lexicalWeight?: number | undefined;
  /** Exact nearest neighbours by a full scan, bypassing the vector index (dense, hybrid): recall's ground truth. */
  exact?: boolean | undefined;
  /** Dense mode only: reorders the k results for diversity (pgvector computes it from the returned embeddings). */
  mmr?: MmrOptions | undefined;
  /** Query tokens kept (see `boundQueryText`); the rest are dropped. Default DEFAULT_MAX_QUERY_TOKENS. */
  maxQueryTokens?: number | undefined;
  /** How lexical recall reads the query text (see LexicalSyntax). Default 'plain'. */
  lexicalSyntax?: LexicalSyntax | undefined;
}

export interface SearchRequest extends RecallSettings {
  /** Required for 'dense' and 'hybrid'. */
  vector?: Float32Array | undefined;
  /** Required for 'lexical' and 'hybrid'. */
  text?: string | undefined;
  /**
   * Who is asking: the store returns only chunks of documents this principal may see (`canAccess`). Required by a
   * collection with access control on (E_PRINCIPAL_REQUIRED).
   */
  principal?: Principal | undefined;
}

export interface StoredDocumentWrite {
  document: DocumentRecord;
  chunks: EmbeddedChunk[];
}

export interface StoreCounts {
  documents: number;
  chunks: number;
}

/** Listing options: `principal` limits a listing or count to what that user may see. */
export interface ListOptions extends CallOptions {
  principal?: Principal;
}

/** A collection of embedded chunks with dense, lexical and hybrid search. */
export interface VectorStore {
  readonly modelId: string;
  readonly dimensions: number;
  /**
   * Replaces each document and all its chunks atomically: all-or-nothing per document; several may share one
   * transaction, which a failure rolls back whole.
   */
  replaceDocuments(writes: readonly StoredDocumentWrite[], options?: CallOptions): Promise<void>;
  deleteDocuments(ids: readonly string[], options?: CallOptions): Promise<number>;
  /** Every document; with `principal`, only those it may see (the rule of `canAccess`; stores without access control list all). */
  listDocuments(options?: ListOptions): Promise<DocumentRecord[]>;
  /** Stored embeddings by chunk text hash, so unchanged chunks are never embedded twice. */
  embeddingsByHash(hashes: readonly string[], options?: CallOptions): Promise<Map<string, Float32Array>>;
  search(request: SearchRequest, options?: CallOptions): Promise<Candidate[]>;
  /** Documents and chunks stored; with `principal`, those it may see. */
  counts(options?: ListOptions): Promise<StoreCounts>;
  /**
   * Runs `fn` while holding a named cross-process lock (e.g. an advisory lock on a server, a lock file for an
   * embedded database), so two reindex runs never overlap. With `wait: false` a held lock throws E_LOCKED.
   */
  withLock?<T>(name: string, fn: () => Promise<T>, options?: { wait?: boolean }): Promise<T>;
  /**
   * Builds the approximate-nearest-neighbour index after a bulk load (a no-op when it exists). Indexes build far
   * faster over loaded rows than row by row, so indexers load first and call this at the end of a run.
   */
  buildIndex?(): Promise<unknown>;
  close(): Promise<void>;
}

/** A source as it appears in a prompt, numbered for citation. */
export interface ContextSource {
  /** 1-based citation number: `[n]` in the prompt and the answer. */
  label: number;
  documentId: string;
  chunkIds: string[];
  title?: string;
  uri: string;
  page?: number;
  headingPath: string[];
  text: string;
}

export interface BuiltContext {
  messages: ChatMessage[];
  sources: ContextSource[];
  /** Tokens of the whole prompt as counted by the generator's tokenizer. */
  promptTokens: number;
  /** Candidates that did not fit the budget. */
  dropped: number;
}

export interface ContextBuilder {
  build(question: string, candidates: readonly Candidate[], options?: CallOptions): Promise<BuiltContext>;
}

export interface GenerateOptions extends CallOptions {
  temperature?: number;
  maxTokens?: number;
}

export interface Generation {
  text: string;
  finishReason?: string;
  usage?: { promptTokens: number; completionTokens: number };
}

export interface Generator {
  readonly model: string;
  generate(messages: readonly ChatMessage[], options?: GenerateOptions): Promise<Generation>;
  /** Yields text deltas as they arrive. */
  stream(messages: readonly ChatMessage[], options?: GenerateOptions): AsyncIterable<string>;
}
