import type { ContextSource } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { parseCitationMarks, parseCitations, resolveCitations } from '../src/index.js';

const source = (label: number): ContextSource => ({
  label,
  documentId: `doc${label}`,
  chunkIds: [`doc${label}#0`],
  uri: `file:///doc${label}.md`,
  headingPath: [],
  text: `text ${label}`,
});

describe('citations', () => {
  it('parses single, listed, chained and ranged citations', () => {
    expect(parseCitations('A [1]. B [2, 3]. C [1][4]. D [5-7]. E [2–3; 8].')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseCitations('As [Source 2] and [sources 3, 4] say.')).toEqual([2, 3, 4]);
    expect(parseCitationMarks('x [1][4]').map((mark) => mark.text)).toEqual(['[1]', '[4]']);
    expect(parseCitationMarks('see [ 2 ,3 ]')[0]).toEqual({ text: '[ 2 ,3 ]', index: 4, numbers: [2, 3] });
  });

  it('ignores indexing and non-numeric brackets', () => {
    expect(parseCitations('Use items[0] or f(x)[1]; see [the docs] and [a1].')).toEqual([]);
  });

  it('does not expand descending or very wide ranges', () => {
    expect(parseCitations('[3-1] [1900-2020]')).toEqual([3, 1, 1900, 2020]);
  });

  it('resolves citations to sources and flags numbers that name none', () => {
    const sources = [source(1), source(2), source(3)];
    const { cited, invalid } = resolveCitations('Yes [2][1]. Also [7] and [0], [2-4].', sources);
    expect(cited.map((s) => s.label)).toEqual([2, 1, 3]);
    expect(invalid).toEqual([7, 0, 4]);
  });
});
