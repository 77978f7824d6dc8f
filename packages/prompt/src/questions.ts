import type { ChatMessage } from '@winnow/core';

/**
 * The question-generation prompt's version, written into every generated dataset: questions made with another
 * wording are a different test set, and scores across versions are not comparable.
 */
export const QUESTION_PROMPT_VERSION = 'questions-v1';

/** A question that shares a run of this many consecutive words with its passage quotes it (see `quotesPassage`). */
export const QUOTE_RUN_WORDS = 8;

const SYSTEM = [
  'You write search questions for testing a document retrieval system.',
  'Each question must be answerable from the given passage alone, and be one a reader of the whole collection might ask.',
  'Ask in your own words: do not copy phrases of the passage, do not mention "the passage", "the text" or "the document".',
  'Reply with the questions only, one per line, without numbering.',
].join(' ');

/** The chat messages that ask for `count` questions the passage answers. */
export function questionMessages(passage: string, count: number, title?: string): ChatMessage[] {
  const heading = title ? `Document: ${title}\n\n` : '';
  return [
    { role: 'system', content: SYSTEM },
    {
      role: 'user',
      content: `${heading}Passage:\n"""\n${passage}\n"""\n\nWrite ${count} different question${count === 1 ? '' : 's'} that this passage answers.`,
    },
  ];
}

/**
 * The questions of a reply: one per non-empty line, list markers and numbering removed ("1.", "2)", "-", "*",
 * "Q1:"), surrounding quotes dropped, lines under three words skipped, duplicates (case-insensitive) kept once, at
 * most `count` (default all).
 */
export function parseQuestions(reply: string, count = Number.POSITIVE_INFINITY): string[] {
  const seen = new Set<string>();
  const questions: string[] = [];
  for (const raw of reply.split(/\r?\n/)) {
    const line = raw
      .trim()
      .replace(/^["'“”]+|["'“”]+$/g, '')
      .replace(/^(?:[-*•]\s+|(?:q(?:uestion)?\s*)?\d+\s*[.):-]\s*)/i, '')
      .replace(/^["'“”]+|["'“”]+$/g, '')
      .trim();
    if (line.split(/\s+/).length < 3) continue;
    const key = line.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    questions.push(line);
    if (questions.length === count) break;
  }
  return questions;
}

/** Lower-case words (letters and digits, any script), punctuation dropped: what "quoting" compares. */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Whether the question quotes the passage: they share a run of at least `runWords` consecutive words (case and
 * punctuation ignored). Such a question tests string matching rather than retrieval, so generation drops it.
 */
export function quotesPassage(question: string, passage: string, runWords = QUOTE_RUN_WORDS): boolean {
  const q = wordsOf(question);
  if (q.length < runWords) return false;
  const runs = new Set<string>();
  const p = wordsOf(passage);
  for (let i = 0; i + runWords <= p.length; i++) runs.add(p.slice(i, i + runWords).join(' '));
  for (let i = 0; i + runWords <= q.length; i++) if (runs.has(q.slice(i, i + runWords).join(' '))) return true;
  return false;
}
