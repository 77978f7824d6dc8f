import { basename } from 'node:path';
import { assembleDocument, contentHash, type ParsedDocument, type SourceDocument } from '@winnow/core';
import type { BeirDataset } from '../io/beir.js';

export interface BeirSourceOptions {
  /** Index `title + ' ' + text` as one passage, as BEIR does. Default true. */
  joinTitle?: boolean;
  signal?: AbortSignal;
}

/** The corpus of a BEIR dataset as source documents for the indexer, streamed. */
export async function* beirSources(
  dataset: BeirDataset,
  options: BeirSourceOptions = {},
): AsyncGenerator<SourceDocument> {
  const name = basename(dataset.directory);
  const joinTitle = options.joinTitle ?? true;
  for await (const doc of dataset.corpus({ ...(options.signal === undefined ? {} : { signal: options.signal }) })) {
    const text = joinTitle && doc.title !== '' ? `${doc.title} ${doc.text}` : doc.text;
    yield {
      id: doc.id,
      uri: `beir:${name}#${doc.id}`,
      mediaType: 'text/plain',
      text,
      metadata: doc.title === '' ? { ...doc.metadata } : { ...doc.metadata, title: doc.title },
      contentHash: contentHash(text),
    };
  }
}

/** Parses a BEIR record as one paragraph: its text is already the passage to index. */
export async function parseBeirSource(source: SourceDocument): Promise<ParsedDocument> {
  const title = typeof source.metadata.title === 'string' ? source.metadata.title : undefined;
  return assembleDocument(
    {
      id: source.id,
      uri: source.uri,
      mediaType: source.mediaType,
      metadata: source.metadata,
      contentHash: source.contentHash,
      ...(title === undefined ? {} : { title }),
    },
    [{ kind: 'paragraph', text: (source.text ?? '').trim() }],
  );
}
