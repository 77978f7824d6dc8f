import type { StoredDocumentWrite } from '@winnow/core';
import type { SqlDriver } from '../src/index.js';

/**
 * The baseline write path: how LangChain.js's PGVectorStore inserts (multi-row INSERT statements of 500 rows,
 * the embedding as a text literal built with `join(',')`, autocommit), here into the same chunk table as the
 * store so that only the write method differs. Written for this comparison, not taken from LangChain.
 */
export async function insertLikeLangChain(
  driver: SqlDriver,
  collection: string,
  writes: readonly StoredDocumentWrite[],
  rowsPerStatement = 500,
): Promise<void> {
  await driver.query(
    `insert into "${collection}_documents" (id, uri, content_hash, metadata)
     select id, uri, content_hash, '{}'::jsonb from jsonb_to_recordset($1::jsonb) as x(id text, uri text, content_hash text)`,
    [
      JSON.stringify(
        writes.map((w) => ({ id: w.document.id, uri: w.document.uri, content_hash: w.document.contentHash })),
      ),
    ],
  );
  const chunks = writes.flatMap((write) => write.chunks);
  for (let start = 0; start < chunks.length; start += rowsPerStatement) {
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const chunk of chunks.slice(start, start + rowsPerStatement)) {
      const at = params.length;
      tuples.push(`($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}, $${at + 6}, $${at + 7}, $${at + 8})`);
      params.push(
        chunk.id,
        chunk.documentId,
        chunk.ordinal,
        chunk.text,
        JSON.stringify(chunk.provenance),
        chunk.tokenCount,
        chunk.hash,
        `[${Array.from(chunk.embedding).join(',')}]`,
      );
    }
    await driver.query(
      `insert into "${collection}_chunks" (id, document_id, ordinal, text, provenance, token_count, hash, embedding)
       values ${tuples.join(', ')}`,
      params,
    );
  }
}
