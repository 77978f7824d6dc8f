/** The question-generation prompt's reply parsing and its quote filter (what `winnow eval --generate` drops). */
import { describe, expect, it } from 'vitest';
import { parseQuestions, QUOTE_RUN_WORDS, questionMessages, quotesPassage } from '../src/index.js';

const passage =
  'The incremental indexer hashes every document and skips the unchanged ones, so a weekly reindex of a large folder only embeds what changed since the last run.';

describe('questionMessages', () => {
  it('asks for the number of questions, with the passage and title quoted', () => {
    const [system, user] = questionMessages(passage, 3, 'Indexing');
    expect(system?.role).toBe('system');
    expect(user?.content).toContain('Document: Indexing');
    expect(user?.content).toContain(`"""\n${passage}\n"""`);
    expect(user?.content).toContain('Write 3 different questions');
  });
});

describe('parseQuestions', () => {
  it('strips numbering and bullets, skips fragments and repeats, and stops at the count', () => {
    const reply =
      '1. Why skip unchanged files?\n2) why skip unchanged files?\n- What does reindexing embed?\nOK\n"Q3: How is a document hashed?"';
    expect(parseQuestions(reply)).toEqual([
      'Why skip unchanged files?',
      'What does reindexing embed?',
      'How is a document hashed?',
    ]);
    expect(parseQuestions(reply, 2)).toHaveLength(2);
  });
});

describe('quotesPassage', () => {
  it(`is true for a shared run of ${QUOTE_RUN_WORDS} consecutive words, case and punctuation aside`, () => {
    expect(quotesPassage('Is it so that THE incremental indexer hashes every document, and skips?', passage)).toBe(
      true,
    );
    // Seven shared words in a row is not a quote.
    expect(quotesPassage('Does the incremental indexer hash every document and skip them?', passage)).toBe(false);
    expect(quotesPassage('Why does a weekly reindex embed only what changed?', passage)).toBe(false);
  });
});
