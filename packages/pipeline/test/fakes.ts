/** Small fakes of core's contracts, for fast tests of the composition (real parts are tested under test/). */
import type {
  Candidate,
  Chunk,
  Chunker,
  DocumentRecord,
  EmbeddedChunk,
  Embedder,
  ParsedDocument,
  Reranker,
  SearchRequest,
  SourceDocument,
  StoredDocumentWrite,
  VectorStore,
} from '@winnow/core';

export function chunk(id: string, text = `passage ${id}`, documentId = `doc-${id}`): Chunk {
  return {
    id,
    documentId,
    ordinal: 0,
    text,
    headingPath: [],
    tokenCount: 3,
    provenance: { charStart: 0, charEnd: text.length },
    metadata: {},
    hash: `h-${text}`,
  };
}

/** Lexical candidates in recall order (scores n..1, ranks 1..n). */
export function recalled(texts: readonly string[]): Candidate[] {
  return texts.map((text, i) => ({
    chunk: chunk(`c${i + 1}`, text),
    scores: { lexical: texts.length - i },
    ranks: { lexical: i + 1 },
  }));
}

/** A store whose search returns `results(request)`, recording the requests. */
export function searchOnlyStore(results: (request: SearchRequest) => Candidate[]) {
  const requests: SearchRequest[] = [];
  const store = {
    modelId: 'fake',
    dimensions: 2,
    search: async (request: SearchRequest) => {
      requests.push(request);
      return results(request);
    },
  } as unknown as VectorStore;
  return { store, requests };
}

/** A reranker that scores a passage by the number in it (higher first), recording each call's passages. */
export function numberReranker(): Reranker & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    modelId: 'number-reranker',
    calls,
    async score(_query, passages) {
      calls.push([...passages]);
      return passages.map((p) => Number(/\d+/.exec(p)?.[0] ?? 0));
    },
  };
}

/** An embedder of 2-d vectors; `wrongCountFor` makes calls that include that text answer one vector short. */
export function fakeEmbedder(options: { wrongCountFor?: string; throwFor?: string } = {}): Embedder & {
  calls: string[][];
} {
  const calls: string[][] = [];
  return {
    modelId: 'fake-embedder',
    dimensions: 2,
    maxTokens: 512,
    calls,
    async embed(texts) {
      calls.push([...texts]);
      if (options.throwFor !== undefined && texts.includes(options.throwFor)) throw new Error('model exploded');
      const vectors = texts.map((t) => Float32Array.from([t.length, 1]));
      if (options.wrongCountFor !== undefined && texts.includes(options.wrongCountFor)) vectors.pop();
      return { vectors, truncated: [], tokens: texts.length };
    },
  };
}

/** One chunk per paragraph (blank-line separated); `throwFor` makes that document's chunking fail. */
export function paragraphChunker(throwFor?: string): Chunker {
  return {
    async chunk(document: ParsedDocument) {
      if (document.id === throwFor) throw new Error('chunker bug');
      return document.text.split(/\n\n+/).map((text, ordinal) => ({
        ...chunk(`${document.id}#${ordinal}`, text, document.id),
        ordinal,
      }));
    },
  };
}

export function source(id: string, text: string): SourceDocument {
  return { id, uri: `file:///${id}`, mediaType: 'text/plain', text, metadata: {}, contentHash: `hash-of-${text}` };
}

/** Parses any source as one paragraph document. */
export async function loadText(source: SourceDocument): Promise<ParsedDocument> {
  const text = source.text ?? '';
  return {
    id: source.id,
    uri: source.uri,
    mediaType: source.mediaType,
    metadata: {},
    contentHash: source.contentHash,
    text,
    blocks: [{ kind: 'paragraph', text, provenance: { charStart: 0, charEnd: text.length } }],
  };
}

/** A store in memory: documents and chunks by id. */
export function memoryStore(): VectorStore & { documents: Map<string, DocumentRecord>; chunks: EmbeddedChunk[] } {
  const documents = new Map<string, DocumentRecord>();
  let chunks: EmbeddedChunk[] = [];
  return {
    modelId: 'fake-embedder',
    dimensions: 2,
    documents,
    get chunks() {
      return chunks;
    },
    async replaceDocuments(writes: readonly StoredDocumentWrite[]) {
      for (const { document, chunks: written } of writes) {
        documents.set(document.id, document);
        chunks = [...chunks.filter((c) => c.documentId !== document.id), ...written];
      }
    },
    async deleteDocuments(ids: readonly string[]) {
      for (const id of ids) documents.delete(id);
      chunks = chunks.filter((c) => !ids.includes(c.documentId));
      return ids.length;
    },
    async listDocuments() {
      return [...documents.values()];
    },
    async embeddingsByHash(hashes: readonly string[]) {
      return new Map(chunks.filter((c) => hashes.includes(c.hash)).map((c) => [c.hash, c.embedding]));
    },
    async search() {
      return [];
    },
    async counts() {
      return { documents: documents.size, chunks: chunks.length };
    },
    async close() {},
  };
}
