import {
  ACCESS_METADATA_KEY,
  type DocumentAccess,
  isRejection,
  type Loader,
  type LoaderLookup,
  type Metadata,
  type PipelineConfig,
  parseDocumentAccess,
  type SourceItem,
  sha256Hex,
  WinnowError,
} from '@winnow/core';
import picomatch from 'picomatch';

export type AccessConfig = PipelineConfig['access'];

/**
 * Attaches access lists at ingestion (config `access`). A document's list is, first to apply: its own under
 * `metadataKey` (front matter, or the source's metadata), else the first rule whose glob matches its id (the path
 * relative to the source root), else `default`, else none (visible to nobody). The normalised list is stored under
 * the metadata key `access`, which the store reads; a malformed one fails the document (E_ACCESS_INVALID).
 */
export interface AccessAssigner {
  /** The rule (or default) list of a document id, without looking at its content. */
  byPath(documentId: string): DocumentAccess | undefined;
  /**
   * Wraps a source so that a document's content hash covers its rule-given list: changing a rule re-indexes the
   * documents it touches (content-given lists are covered by the content itself).
   */
  source(items: AsyncIterable<SourceItem> | Iterable<SourceItem>): AsyncIterable<SourceItem>;
  /** Wraps loaders so that each parsed document carries its resolved list under `access`. */
  loaders(lookup: LoaderLookup): LoaderLookup;
  /** The same for a single load function. */
  loadFunction(load: Loader['load']): Loader['load'];
}

export function accessAssigner(config: AccessConfig): AccessAssigner {
  const rules = config.rules.map((rule, i) => ({
    matches: picomatch(rule.path, { dot: true }),
    access: parseDocumentAccess({ tenant: rule.tenant, groups: rule.groups }, `access.rules[${i}]`),
  }));
  const fallback = config.default === undefined ? undefined : parseDocumentAccess(config.default, 'access.default');
  const byPath = (documentId: string) => rules.find((rule) => rule.matches(documentId))?.access ?? fallback;

  const resolve = (documentId: string, file: string, ...metadata: Metadata[]): DocumentAccess | null => {
    const own = metadata.map((m) => m[config.metadataKey]).find((value) => value !== undefined && value !== null);
    if (own === undefined) return byPath(documentId) ?? null;
    try {
      return parseDocumentAccess(own, config.metadataKey);
    } catch (error) {
      throw new WinnowError('E_ACCESS_INVALID', (error as Error).message, {
        file,
        field: config.metadataKey,
        cause: error,
      });
    }
  };

  const loadFunction =
    (load: Loader['load']): Loader['load'] =>
    async (source, options) => {
      const parsed = await load(source, options);
      const access = resolve(source.id, source.uri, parsed.metadata, source.metadata);
      // Always written (null when none), so a raw `access` value from the source never reaches the store.
      return { ...parsed, metadata: { ...parsed.metadata, [ACCESS_METADATA_KEY]: access as Metadata[string] } };
    };
  const wrapLoader = (loader: Loader): Loader => ({
    name: loader.name,
    mediaTypes: loader.mediaTypes,
    load: loadFunction((source, options) => loader.load(source, options)),
  });

  return {
    byPath,
    loadFunction,
    async *source(items) {
      for await (const item of items) {
        if (isRejection(item)) {
          yield item;
          continue;
        }
        const ruled = byPath(item.id) ?? null;
        yield { ...item, contentHash: sha256Hex(`${item.contentHash}\u0000access\u0000${JSON.stringify(ruled)}`) };
      }
    },
    loaders(lookup) {
      const wrapped = new Map<Loader, Loader>();
      return {
        get mediaTypes() {
          return lookup.mediaTypes;
        },
        get(mediaType) {
          const loader = lookup.get(mediaType);
          if (loader === undefined) return undefined;
          let result = wrapped.get(loader);
          if (result === undefined) {
            result = wrapLoader(loader);
            wrapped.set(loader, result);
          }
          return result;
        },
      };
    },
  };
}
