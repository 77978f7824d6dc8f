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
  /** Lexical statistics kept by triggers on the chunks table (see bm25-schema.ts). */
  bm25: Bm25Tables;
}

/** Maintained BM25 statistics: tables and trigger functions. */
export interface Bm25Tables {
  /** One row: chunk count and total length. */
  stats: string;
  /** chunk id → chunk number (the postings' compact key) and length. */
  chunks: string;
  /** lexeme → document frequency. */
  terms: string;
  /** (lexeme, chunk number) → term frequency and chunk length. */
  postings: string;
  /** Trigger functions, by the chunk-table event they follow. */
  onInsert: string;
  onDelete: string;
  onUpdate: string;
  onTruncate: string;
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
    // Suffixes stay within 23 characters so a 40-character collection name fits PostgreSQL's 63.
    bm25: {
      stats: quoteIdent(`${collection}_bm25_stats`),
      chunks: quoteIdent(`${collection}_bm25_chunks`),
      terms: quoteIdent(`${collection}_bm25_terms`),
      postings: quoteIdent(`${collection}_bm25_postings`),
      onInsert: quoteIdent(`${collection}_bm25_on_insert`),
      onDelete: quoteIdent(`${collection}_bm25_on_delete`),
      onUpdate: quoteIdent(`${collection}_bm25_on_update`),
      onTruncate: quoteIdent(`${collection}_bm25_on_truncate`),
    },
  };
}

/** Double-quotes an identifier. Only ever applied to names built from a validated collection name. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
