import { WinnowError } from '@winnow/core';

/** Same rule as core's `store.collection` setting: safe to use unquoted inside identifiers. */
const COLLECTION_NAME = /^[a-z][a-z0-9_]{0,39}$/;

/** The tables and indexes of one collection; every name is derived from the validated collection name. */
export interface CollectionTables {
  collection: string;
  migrations: string;
  info: string;
  documents: string;
  chunks: string;
  /** Index names (without quotes). */
  vectorIndex: string;
  textIndex: string;
  hashIndex: string;
}

export function collectionTables(collection: string): CollectionTables {
  if (!COLLECTION_NAME.test(collection)) {
    throw new WinnowError(
      'E_CONFIG_INVALID',
      `collection ${JSON.stringify(collection)} must be lower-case letters, digits and _ (at most 40), starting with a letter`,
      { setting: 'store.collection' },
    );
  }
  return {
    collection,
    migrations: quoteIdent(`${collection}_migrations`),
    info: quoteIdent(`${collection}_collection`),
    documents: quoteIdent(`${collection}_documents`),
    chunks: quoteIdent(`${collection}_chunks`),
    vectorIndex: `${collection}_chunks_embedding_idx`,
    textIndex: `${collection}_chunks_tsv_idx`,
    hashIndex: `${collection}_chunks_hash_idx`,
  };
}

/** Double-quotes an identifier. Only ever applied to names built from a validated collection name. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
