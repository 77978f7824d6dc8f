import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { graphemeCuts, type Range, sentences, trimRange, wordCuts } from '../src/segment.js';

const sentenceSegmenter = new Intl.Segmenter(undefined, { granularity: 'sentence' });
const wordSegmenter = new Intl.Segmenter(undefined, { granularity: 'word' });
const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The segmenter run over the whole range at once: what the windowed reading must reproduce. */
function direct(segmenter: Intl.Segmenter, text: string, range: Range) {
  return [...segmenter.segment(text.slice(range.start, range.end))].map((segment) => ({
    start: range.start + segment.index,
    end: range.start + segment.index + segment.segment.length,
    isWordLike: segment.isWordLike === true,
  }));
}

const pieces = [
  'word',
  'Retrieval',
  "don't",
  'e.g.',
  'U.S.',
  '3.14',
  ' ',
  '  ',
  '\n',
  '. ',
  '? ',
  '! ',
  '."',
  ', ',
  '検索拡張生成',
  'は、',
  '。',
  '한국어',
  'café',
  'e\u0301',
  '👍🏽',
  '👩‍👩‍👧',
  '\u00a0',
  'x'.repeat(300),
];

describe('windowed segmentation', () => {
  it('finds the same sentences, word cuts and grapheme cuts as one pass over the text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...pieces), { minLength: 300, maxLength: 900, size: 'max' }),
        fc.nat(40),
        (parts, skip) => {
          const text = parts.join('');
          const range = { start: Math.min(skip, text.length), end: text.length };
          const wholeSentences = direct(sentenceSegmenter, text, range);
          expect(sentences(text, range)).toEqual(
            wholeSentences.flatMap((segment) => trimRange(text, segment.start, segment.end) ?? []),
          );
          const words = direct(wordSegmenter, text, range)
            .filter(
              (segment) =>
                segment.start > range.start &&
                !/\s/u.test(text[segment.start] ?? '') &&
                (segment.isWordLike || /\s/u.test(text[segment.start - 1] ?? '')),
            )
            .map((segment) => segment.start);
          expect(wordCuts(text, range)).toEqual(words);
          expect(graphemeCuts(text, range)).toEqual(
            direct(graphemeSegmenter, text, range)
              .map((segment) => segment.start)
              .filter((start) => start > range.start),
          );
        },
      ),
      { numRuns: 12, seed: 7 },
    );
  });

  it('reads a long line in time linear in its length', () => {
    // Not a timing assertion: the segmenter is called on short windows only, so this finishes quickly at all.
    const text = 'linear time segmentation of one long line '.repeat(25_000);
    const cuts = wordCuts(text, { start: 0, end: text.length });
    expect(cuts.length).toBe(7 * 25_000 - 1);
  });
});
