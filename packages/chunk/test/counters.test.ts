import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { isWinnowError } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { createApproximateTokenCounter, createTransformersTokenCounter } from '../src/index.js';
import { CORPORA_DIR, MODELS_DIR, miniLmCounter } from './helpers.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('createTransformersTokenCounter', () => {
  it('counts MiniLM WordPiece tokens with [CLS] and [SEP] included', async () => {
    const counter = await miniLmCounter();
    expect(counter.id).toBe('all-MiniLM-L6-v2');
    expect(counter.modelMaxLength).toBe(256);
    expect(counter.count('')).toBe(2);
    // [CLS] hello world , this is a test . [SEP]
    expect(counter.count('Hello world, this is a test.')).toBe(10);
    // BERT's basic tokenizer splits every CJK ideograph into its own token; kana go through WordPiece.
    expect(counter.count('日本語')).toBe(5);
    expect(counter.countMany(['', 'Hello world, this is a test.'])).toEqual([2, 10]);
  });

  it('counts as the reference tokenizer did, before truncation', async () => {
    const reference = JSON.parse(readFileSync(join(MODELS_DIR, 'all-MiniLM-L6-v2', 'reference.json'), 'utf8')) as {
      items: { text: string; n_tokens_untruncated: number }[];
    };
    const counter = await miniLmCounter();
    expect(reference.items.length).toBeGreaterThan(0);
    for (const item of reference.items) expect(counter.count(item.text)).toBe(item.n_tokens_untruncated);
  });

  it('counts word by word exactly as the tokenizer counts the whole text', async () => {
    const counter = await miniLmCounter();
    const tokenizer = await AutoTokenizer.from_pretrained(join(MODELS_DIR, 'all-MiniLM-L6-v2'), {
      local_files_only: true,
    });
    const whole = (text: string) => tokenizer.encode(text).length;
    const tricky = [
      'no\u00a0break and\u3000ideographic spaces',
      'a\u0000nul, a\u200bzero-width space, a\ufeffBOM and \u0301 a lone accent',
      `${'x'.repeat(150)} a word over WordPiece's 100 characters`,
      '[MASK] [CLS]inside words[SEP] and emoji 👩‍👩‍👧 with tabs\tand\r\nline breaks',
      '混合テキスト with 한국어 and Ελληνικά, café, naïve — «quotes»',
    ];
    const folder = join(CORPORA_DIR, 'markdown-versions', 'new');
    const files = readdirSync(folder).filter((name) => name.endsWith('.md'));
    expect(files.length).toBeGreaterThan(5);
    const texts = [...tricky, ...files.map((name) => readFileSync(join(folder, name), 'utf8'))];
    for (const text of texts) expect(counter.count(text)).toBe(whole(text));
  });

  it('loads from a path and shares one tokenizer per folder', async () => {
    const byPath = await createTransformersTokenCounter(join(MODELS_DIR, 'all-MiniLM-L6-v2'));
    const byName = await miniLmCounter();
    const text = 'Retrieval-augmented generation with two-stage retrieval.';
    expect(byPath.count(text)).toBe(byName.count(text));
  });

  it('names the folder when it has no tokenizer', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'winnow-chunk-model-'));
    const error = await rejection(createTransformersTokenCounter(empty, { setting: 'embed.model' }));
    expect(isWinnowError(error, 'E_MODEL_NOT_FOUND')).toBe(true);
    expect(String(error)).toContain(empty);
    expect(String(error)).toContain('setting embed.model');
  });

  it('reports a tokenizer that cannot be parsed as E_MODEL_LOAD', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'winnow-chunk-model-'));
    writeFileSync(join(broken, 'tokenizer.json'), '{ not json');
    writeFileSync(join(broken, 'tokenizer_config.json'), '{}');
    const error = await rejection(createTransformersTokenCounter(broken));
    expect(isWinnowError(error, 'E_MODEL_LOAD')).toBe(true);
    expect(String(error)).toContain(broken);
  });
});

describe('createApproximateTokenCounter', () => {
  const approximate = createApproximateTokenCounter();

  it('counts words, numbers, punctuation and CJK characters', () => {
    expect(approximate.count('')).toBe(2);
    // a(1) short(2) test(2) .(1)
    expect(approximate.count('a short test.')).toBe(2 + 6);
    // 12345 → 3, 日本語 → 3
    expect(approximate.count('12345 日本語')).toBe(2 + 3 + 3);
    expect(createApproximateTokenCounter({ specialTokens: 0 }).count('')).toBe(0);
  });

  it('overcounts real MiniLM tokens on ordinary prose', async () => {
    const real = await miniLmCounter();
    const prose = [
      'Chunks aim at a target size in the embedding model’s own tokens and never exceed the hard maximum.',
      'Immunohistochemistry revealed reduced expression of the transcription factor in 42% of samples.',
      'pnpm uses a content-addressable store; packages are hard-linked into node_modules.',
      '検索拡張生成は、外部の文書を検索してから回答を生成する。',
    ];
    for (const text of prose) expect(approximate.count(text)).toBeGreaterThanOrEqual(real.count(text));
  });
});
