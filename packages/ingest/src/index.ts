export { type AccessAssigner, type AccessConfig, accessAssigner } from './access.js';
export { type DecodedText, type DetectOptions, decodeDetected, decodeText } from './decode.js';
export { type Detection, detectMediaType, MEDIA_TYPES, type TypeMismatchPolicy } from './detect.js';
export {
  type CollectedDocuments,
  collectAll,
  type IngestOptions,
  type IngestProgress,
  ingest,
  type LoadDocumentOptions,
  loadAll,
  loadDocument,
} from './ingest.js';
export { HtmlLoader } from './loaders/html/loader.js';
export { MarkdownLoader } from './loaders/markdown.js';
export { PassageLoader, TextLoader } from './loaders/text.js';
export { assembleNormalized, type NormalizeOptions, normalizeText } from './normalize.js';
export { type PasswordTable, passwordFor } from './passwords.js';
export { PdfLoader, type PdfLoaderOptions } from './pdf/loader.js';
export { type DefaultLoaderOptions, defaultLoaders, LoaderRegistry } from './registry.js';
export { type BeirSourceOptions, beirSource } from './sources/beir.js';
export { type FileSourceOptions, type FolderSourceOptions, fileSource, folderSource } from './sources/folder.js';
export { type SkipDetail, type SkippedEntry, type SkipReason, skippedEntry } from './sources/walk.js';
export {
  type DocumentSource,
  type IngestFailure,
  type IngestResult,
  isRejection,
  type SourceItem,
  type SourceRejection,
} from './types.js';
