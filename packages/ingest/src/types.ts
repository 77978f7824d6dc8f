import type { IngestFailure, ParsedDocument } from '@winnow/core';

// The source contract lives in core, so the indexer (which depends on core alone) reads the same types.
export {
  type DocumentSource,
  type IngestFailure,
  isRejection,
  type SourceItem,
  type SourceRejection,
} from '@winnow/core';

export type IngestResult = { ok: true; document: ParsedDocument } | { ok: false; failure: IngestFailure };
