import { isAbortError, isWinnowError, type StoredDocumentWrite, type VectorStore } from '@winnow/core';

/**
 * Writes documents in one `replaceDocuments` call (one transaction, one COPY on the server). When that call fails,
 * each document is written again on its own, so only a document that fails alone goes to `failed` (and keeps its
 * previous version, the store's writes being all-or-nothing per document); the others reach `written`. A lost lock
 * or an abort is no document's fault and is thrown.
 */
export async function writeGroup<T extends { write: StoredDocumentWrite }>(
  store: VectorStore,
  items: readonly T[],
  signal: AbortSignal | undefined,
  written: (item: T) => void,
  failed: (item: T, error: unknown) => void,
): Promise<void> {
  if (items.length > 1) {
    try {
      await store.replaceDocuments(
        items.map((item) => item.write),
        { signal },
      );
      for (const item of items) written(item);
      return;
    } catch (error) {
      if (isAbortError(error) || isWinnowError(error, 'E_LOCK_LOST')) throw error;
      // One bad document must not sink the group: write document by document to find the culprits.
    }
  }
  for (const item of items) {
    try {
      await store.replaceDocuments([item.write], { signal });
      written(item);
    } catch (error) {
      failed(item, error);
    }
  }
}
