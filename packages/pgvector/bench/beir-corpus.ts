import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { chunkId, type StoredDocumentWrite, textHash } from '@winnow/core';
import { random } from './data.js';

/** A BEIR folder read whole (small sets: ADI, SciFact): documents, queries and one split's relevant documents. */
export interface BeirCorpus {
  documents: Array<{ id: string; text: string }>;
  queries: Array<{ id: string; text: string }>;
  /** query id → relevant document ids (score > 0) of the split. */
  relevant: Map<string, Set<string>>;
}

function jsonLines<T>(file: string): T[] {
  const raw = readFileSync(file);
  const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Documents as title + ' ' + text, as the SciFact evaluation indexes them (eval/results/scifact). */
export function readBeirCorpus(folder: string, split = 'test'): BeirCorpus {
  const file = ['corpus.jsonl', 'corpus.jsonl.gz'].map((name) => join(folder, name)).find(existsSync);
  if (file === undefined) throw new Error(`${folder} has no corpus.jsonl[.gz]`);
  const documents = jsonLines<{ _id: string; title?: string; text: string }>(file).map((doc) => ({
    id: doc._id,
    text: doc.title ? `${doc.title} ${doc.text}` : doc.text,
  }));
  const queries = jsonLines<{ _id: string; text: string }>(join(folder, 'queries.jsonl')).map((query) => ({
    id: query._id,
    text: query.text,
  }));
  const relevant = new Map<string, Set<string>>();
  const lines = readFileSync(join(folder, 'qrels', `${split}.tsv`), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  for (const [queryId = '', documentId = '', score = '0'] of lines.map((line) => line.split('\t'))) {
    if (Number(score) <= 0) continue;
    relevant.set(queryId, (relevant.get(queryId) ?? new Set()).add(documentId));
  }
  return { documents, queries: queries.filter((query) => relevant.has(query.id)), relevant };
}

/**
 * One chunk per document with a small constant vector: lexical recall reads text only. Documents are written in
 * the corpus order, `extra` synthetic ones after them (see syntheticDocuments).
 */
export function documentWrites(documents: BeirCorpus['documents'], dimensions: number): StoredDocumentWrite[] {
  const embedding = new Float32Array(dimensions).fill(1 / Math.sqrt(dimensions));
  return documents.map((doc) => {
    const hash = textHash(doc.text);
    return {
      document: { id: doc.id, uri: `beir:${doc.id}`, contentHash: hash, metadata: {} },
      chunks: [
        {
          id: chunkId(doc.id, 0, hash),
          documentId: doc.id,
          ordinal: 0,
          text: doc.text,
          headingPath: [],
          tokenCount: doc.text.split(/\s+/).length,
          provenance: { charStart: 0, charEnd: doc.text.length },
          metadata: {},
          hash,
          embedding,
        },
      ],
    };
  });
}

/**
 * `count` documents made of the corpus's own sentences drawn at random, each as long (in words) as a random real
 * document: the vocabulary, term frequencies and lengths of the corpus, at any size, without duplicate texts.
 */
export function syntheticDocuments(corpus: BeirCorpus, count: number, seed = 7): BeirCorpus['documents'] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const sentences = corpus.documents.flatMap((doc) => doc.text.split(/(?<=[.!?])\s+/));
  const lengths = corpus.documents.map((doc) => doc.text.split(/\s+/).length);
  return Array.from({ length: count }, (_, i) => {
    const words = pick(lengths);
    const parts: string[] = [];
    for (let length = 0; length < words; ) {
      const sentence = pick(sentences);
      parts.push(sentence);
      length += sentence.split(/\s+/).length;
    }
    return { id: `synthetic-${seed}-${i}`, text: parts.join(' ') };
  });
}
