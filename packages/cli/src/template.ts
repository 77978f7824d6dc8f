/** The commented configuration that `winnow init` writes. Every value shown is the default unless noted. */
export const CONFIG_TEMPLATE = `# winnow configuration. Every key is optional; the values shown are the defaults.
# Environment overrides: DATABASE_URL (use that PostgreSQL server), OPENAI_BASE_URL and OPENAI_API_KEY
# (generation endpoint), WINNOW_MODELS (a folder of model folders for offline use).
version: 1

store:
  # pglite: embedded PostgreSQL in a folder, nothing to install. postgres: a server (url or DATABASE_URL).
  driver: pglite
  path: .winnow/db
  collection: winnow
  metric: cosine            # cosine | inner_product | l2
  index:
    type: hnsw              # hnsw | ivfflat | none
    m: 16
    efConstruction: 128
  statementTimeoutMs: 30000 # server only: a statement running longer fails (E_TIMEOUT); 0 = no limit

ingest:
  include: ["**/*"]
  exclude: ["**/node_modules/**", "**/.git/**", "**/.winnow/**"]
  maxFileBytes: 52428800    # 50 MiB; larger files are reported and skipped
  maxDocumentMs: 60000      # one file taking longer to load and chunk fails (E_TIMEOUT); the run goes on
  onTypeMismatch: load      # load | reject: a file whose bytes contradict its extension (HTML saved as .pdf)
  # encoding: windows-1251  # force the encoding of text files (default: BOM, declaration, UTF-8, else detected)
  # pdfPasswords: { "reports/q3.pdf": "secret" }

chunk:
  targetTokens: 200         # in the embedding model's own tokens
  maxTokens: 256            # hard maximum (all-MiniLM-L6-v2 reads 256 tokens)
  overlapTokens: 32
  contextual: true          # embed title and heading path with each chunk; stored text stays clean

embed:
  provider: transformers    # transformers (local ONNX) | openai (any OpenAI-compatible /v1/embeddings)
  model: all-MiniLM-L6-v2   # a folder under WINNOW_MODELS, a path, or a hub id such as Xenova/all-MiniLM-L6-v2
  dtype: q8                 # fp32 | fp16 | q8
  device: auto              # auto tries the GPU, falls back to CPU
  batchSize: 32
  # baseURL: http://localhost:8000/v1   # for provider: openai (vLLM, TEI, OpenAI)

recall:                     # stage 1: fast, approximate
  mode: hybrid              # dense | lexical | hybrid (reciprocal-rank fusion of both)
  k: 50
  efSearch: 150
  maxQueryTokens: 256       # words kept from a query, the rest dropped with a warning (PGlite crashes near 610; max 400)
  lexicalSyntax: plain      # plain: a query is a bag of its words | websearch: "phrases", -word, or (other words required)

rerank:                     # stage 2: slow, exact
  provider: transformers    # transformers (local cross-encoder) | http (vLLM/TEI /rerank) | none (recall order)
  model: ms-marco-MiniLM-L-12-v2   # MS MARCO cross-encoder; online: Xenova/ms-marco-MiniLM-L-12-v2
  device: auto
  k: 5                      # results kept
  depth: 10                 # recalled candidates scored (the rest follow in recall order): cost grows with it
  # maxTokens: 512          # longest (query, passage) pair; the model's own limit by default, the passage is cut first
  # batchSize: 1            # pairs per model call: 1 on CPU, 16 on a GPU
  # cacheEntries: 10000     # keep scores of repeated (query, passage) pairs in memory

fusion:                     # how recall and rerank make the final order (see eval/results/scifact)
  method: interpolate       # interpolate (z-scores of both stages) | rrf | rerank (reranker only)
  weight: 0.4               # the reranker's share; recall keeps the rest, so an off-domain reranker cannot sink recall

prompt:
  contextWindow: 8192
  answerTokens: 1024
  order: score              # score | lost-in-the-middle

generate:                   # any OpenAI-compatible chat endpoint (OpenAI, vLLM)
  model: gpt-4o-mini
  temperature: 0
  # baseURL: http://localhost:8000/v1
  timeoutMs: 60000          # per attempt until the answer starts, and the longest silence mid-stream
  maxRetries: 3
  deadlineMs: 60000         # all attempts together until the answer starts; raise it for slow endpoints

access:                     # per-document access control: every query then names --tenant (and --groups)
  enabled: false
  metadataKey: access       # front matter / metadata: access: { tenant: acme, groups: [hr] }
  rules: []                 # e.g. [{ path: 'acme/hr/**', tenant: acme, groups: [hr] }], first match wins
  # default: { tenant: acme, groups: [] }   # for documents no rule matches; unset: visible to nobody
`;
