import {
  type CallOptions,
  type Chunk,
  type Chunker,
  chunkId,
  findProvenanceViolation,
  type ParsedDocument,
  type TokenCounter,
  textHash,
  throwIfAborted,
  WinnowError,
} from '@winnow/core';
import { type ContextPrefix, ContextPrefixes, withPrefix } from './context.js';
import { createApproximateTokenCounter } from './counters/approximate.js';
import { type ChunkerOptions, type ChunkSettings, checkAgainstCounter, parseChunkSettings } from './options.js';
import { type Outline, outlineDocument } from './outline.js';
import { overlapStart } from './overlap.js';
import { packPieces } from './pack.js';
import { buildPieces, type Piece } from './pieces.js';
import { describeSpan } from './provenance.js';
import { trimRange } from './segment.js';
import type { RangeCounter } from './split.js';

/** Metadata key set to `true` on a whole-document chunk longer than `maxTokens` (the embedder will truncate it). */
export const EXCEEDS_MAX_TOKENS = 'exceedsMaxTokens';

export interface WinnowChunker extends Chunker {
  readonly settings: ChunkSettings;
  readonly tokenCounter: TokenCounter;
  /** Identifies tokenizer and settings: equal ids give equal chunks for equal documents. */
  readonly settingsId: string;
}

/** A cut at a weaker break is taken only when a stronger one would leave a chunk under half the target. */
const MIN_FILL = 0.5;

interface ChunkingContext {
  settings: ChunkSettings;
  counter: TokenCounter;
  /** Tokens the counter adds to every text ([CLS] and [SEP] for BERT models). */
  overhead: number;
}

/**
 * A structure-aware chunker: see the package README for the rules. Settings are validated with core's
 * `chunkConfigSchema` (E_CONFIG_INVALID names the `chunk.<field>`).
 */
export function createChunker(options: ChunkerOptions = {}): WinnowChunker {
  const { tokenCounter, ...input } = options;
  const settings = parseChunkSettings(input);
  const counter = tokenCounter ?? createApproximateTokenCounter();
  const overhead = counter.count('');
  checkAgainstCounter(settings, counter, overhead);
  const context: ChunkingContext = { settings, counter, overhead };
  const { targetTokens, maxTokens, overlapTokens, contextual, split } = settings;
  return {
    settings,
    tokenCounter: counter,
    settingsId: `chunk-v1:${counter.id}:${targetTokens}/${maxTokens}/${overlapTokens}:${contextual ? 'contextual' : 'plain'}:${split ? 'split' : 'whole'}`,
    chunk: (document: ParsedDocument, callOptions?: CallOptions) =>
      chunkDocument(document, context, callOptions?.signal),
  };
}

async function chunkDocument(doc: ParsedDocument, context: ChunkingContext, signal?: AbortSignal): Promise<Chunk[]> {
  const what = `chunking ${doc.id}`;
  throwIfAborted(signal, what);
  const violation = findProvenanceViolation(doc);
  if (violation !== undefined) {
    throw new WinnowError('E_PARSE', `the parsed document is inconsistent: ${violation}`, { file: doc.uri });
  }
  const { settings, counter, overhead } = context;
  const text = doc.text;
  const count: RangeCounter = (start, end) => counter.count(text.slice(start, end));
  const outline = outlineDocument(doc);
  const prefixes = settings.contextual
    ? new ContextPrefixes(doc.title, (t) => counter.count(t), overhead, settings.maxTokens)
    : undefined;
  const builder = new ChunkBuilder(doc, outline, context, prefixes);
  if (!settings.split) {
    const whole = trimRange(text, 0, text.length);
    return whole === undefined ? [] : [builder.build(0, whole.start, whole.end, count(whole.start, whole.end), false)];
  }

  const checkpoint = checkpointFor(signal, what);
  const pieces = await buildPieces(
    text,
    outline,
    {
      targetTokens: settings.targetTokens,
      maxTokens: settings.maxTokens,
      overhead,
      prefixTokens: (block) => prefixes?.best(outline.blocks[block]?.path ?? []).tokens ?? 0,
    },
    count,
    checkpoint,
  );
  await checkpoint();
  const spans = packPieces(pieces, { targetTokens: settings.targetTokens, overhead, minFill: MIN_FILL }, count);
  const chunks: Chunk[] = [];
  for (const [ordinal, span] of spans.entries()) {
    await checkpoint();
    const previous = spans[ordinal - 1];
    const head = pieces[span.first] as Piece;
    let start = span.start;
    let tokens = span.tokens;
    // Overlap carries context across a cut inside a section; a chunk opening with a heading needs none.
    if (previous !== undefined && settings.overlapTokens > 0 && !head.heading) {
      const sameGroup = (pieces[previous.last] as Piece).group === head.group;
      const overlapped = sameGroup
        ? overlapStart(
            text,
            outline.blocks,
            {
              previous: { start: previous.start, end: previous.end },
              current: { start: span.start, end: span.end },
              overlapTokens: settings.overlapTokens,
              hardLimit: Math.min(span.hardLimit, previous.hardLimit),
              overhead,
            },
            span.tokens,
            count,
          )
        : undefined;
      if (overlapped !== undefined) ({ start, tokens } = overlapped);
    }
    chunks.push(builder.build(ordinal, start, span.end, tokens, true));
  }
  return chunks;
}

/** Assembles `Chunk` objects: ids, hashes, heading path, provenance, metadata and the contextual embed text. */
class ChunkBuilder {
  constructor(
    private readonly doc: ParsedDocument,
    private readonly outline: Outline,
    private readonly context: ChunkingContext,
    private readonly prefixes: ContextPrefixes | undefined,
  ) {}

  build(ordinal: number, start: number, end: number, tokenCount: number, bounded: boolean): Chunk {
    const { doc } = this;
    const text = doc.text.slice(start, end);
    const { headingPath, provenance, opensWithOwnHeading } = describeSpan(doc.text, this.outline, start, end);
    const metadata = { ...doc.metadata };
    if (!bounded && tokenCount > this.context.settings.maxTokens) metadata[EXCEEDS_MAX_TOKENS] = true;
    const embedText = this.embedText(
      this.prefixes?.variants(headingPath, opensWithOwnHeading),
      text,
      tokenCount,
      bounded,
    );
    const chunk: Chunk = {
      id: chunkId(doc.id, ordinal, textHash(text)),
      documentId: doc.id,
      ordinal,
      text,
      headingPath,
      tokenCount,
      provenance,
      metadata,
      hash: textHash(embedText ?? text),
    };
    if (embedText !== undefined) chunk.embedText = embedText;
    return chunk;
  }

  /**
   * The text to embed with its context prefix. Bounded chunks take the longest prefix variant that keeps the
   * embed text within `maxTokens` (counted, not estimated), or none; a whole document is over-long anyway.
   */
  private embedText(
    variants: readonly ContextPrefix[] | undefined,
    text: string,
    tokenCount: number,
    bounded: boolean,
  ): string | undefined {
    if (variants === undefined) return undefined;
    if (!bounded) return variants[0] === undefined ? undefined : withPrefix(variants[0], text);
    const { maxTokens } = this.context.settings;
    const fitting = variants.find(
      (prefix: ContextPrefix) =>
        tokenCount + prefix.tokens <= maxTokens + 1 &&
        this.context.counter.count(withPrefix(prefix, text)) <= maxTokens,
    );
    return fitting === undefined ? undefined : withPrefix(fitting, text);
  }
}

/** Checks the signal between units of work and yields to the event loop now and then, so an abort is seen. */
function checkpointFor(signal: AbortSignal | undefined, what: string): () => Promise<void> {
  let last = performance.now();
  return async () => {
    throwIfAborted(signal, what);
    if (signal === undefined || performance.now() - last < 20) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    last = performance.now();
    throwIfAborted(signal, what);
  };
}
