import type { Loader } from './contracts.js';
import type { ErrorCode } from './errors.js';
import type { SourceDocument } from './types.js';

/** Why one document did not make it: always names the file (or record) and the reason. */
export interface IngestFailure {
  /** The document id when known, else the path or record position. */
  id: string;
  uri: string;
  code: ErrorCode;
  message: string;
}

/** A file or record a source found but cannot hand over (too large, unreadable, malformed). */
export interface SourceRejection {
  rejected: IngestFailure;
  /**
   * Set when the rejected entry is (or may be) a folder whose contents could not be listed: what lies under it
   * (URI `rejected.uri` + `/`, or id `rejected.id` + `/`) is unknown, not gone, so a run never deletes it.
   */
  subtree?: boolean;
}

/** What a source yields: documents to load, and rejections to report without stopping. */
export type SourceItem = SourceDocument | SourceRejection;

/** An async iterable of documents; sources produce them lazily, one at a time. */
export type DocumentSource = AsyncIterable<SourceItem>;

export function isRejection(item: SourceItem): item is SourceRejection {
  return 'rejected' in item;
}

/** Loaders by media type (ingest's `LoaderRegistry` is one). */
export interface LoaderLookup {
  get(mediaType: string): Loader | undefined;
  readonly mediaTypes: readonly string[];
}
