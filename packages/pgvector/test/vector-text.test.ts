import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { float16Bits } from '../src/copy-binary.js';
import { formatFloat32, formatVector, mmrOrder, parseVector } from '../src/index.js';
import { caught } from './helpers.js';

const subject = { owner: 'chunk 2 (abc) of document d.md', field: 'documents[d.md].chunks[2].embedding' };

describe('pgvector text format', () => {
  it('round-trips every finite float32 exactly', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const text = formatFloat32(value);
        expect(text).toMatch(/^-?\d+(\.\d+)?(e[+-]\d+)?$/);
        expect(Math.fround(Number.parseFloat(text))).toBe(value === 0 ? 0 : value);
      }),
      { numRuns: 20_000 },
    );
  });

  it('writes short text: integers plainly, at most 9 significant digits', () => {
    expect(formatFloat32(0)).toBe('0');
    expect(formatFloat32(-0)).toBe('0');
    expect(formatFloat32(3)).toBe('3');
    expect(formatFloat32(-100681760)).toBe('-100681760');
    expect(formatFloat32(Math.fround(123456789000))).toBe('1.23456791e+11');
    expect(formatFloat32(Math.fround(0.5))).toBe('0.5');
    expect(formatFloat32(Math.fround(0.1))).toBe('0.100000001');
    expect(formatFloat32(Math.fround(1e-7))).toBe('1.00000001e-7');
    expect(formatFloat32(Math.fround(-2.5e-40))).toMatch(/^-2\.5\d*e-40$/);
  });

  it('writes exactly the nine-digit toPrecision text, insignificant zeros dropped', () => {
    // The reference: what formatFloat32 wrote before its fast path (toPrecision(9) for every value).
    const reference = (value: number): string => {
      if (Number.isInteger(value) && Math.abs(value) <= 16_777_216) return value === 0 ? '0' : String(value);
      const text = value.toPrecision(9);
      const exponentAt = text.indexOf('e');
      let mantissa = exponentAt === -1 ? text : text.slice(0, exponentAt);
      if (mantissa.includes('.')) mantissa = mantissa.replace(/0+$/, '').replace(/\.$/, '');
      return exponentAt === -1 ? mantissa : mantissa + text.slice(exponentAt);
    };
    const bits = new Uint32Array(1);
    const float = new Float32Array(bits.buffer);
    const values: number[] = [];
    // Every 65,537th bit pattern (all exponents), and each float32 next to a power of ten, where the exponent is
    // found one off or the rounding carries to ten digits.
    for (let pattern = 0; pattern < 0x7f800000; pattern += 65_537) {
      bits[0] = pattern;
      values.push(float[0] as number);
    }
    for (let k = -8; k <= 12; k++) {
      float[0] = 10 ** k;
      const at = bits[0] as number;
      for (let step = -3; step <= 3; step++) {
        bits[0] = at + step;
        values.push(float[0] as number);
      }
    }
    for (const value of values) {
      expect([value, formatFloat32(value)]).toEqual([value, reference(value)]);
      expect([-value, formatFloat32(-value)]).toEqual([-value, reference(-value)]);
    }
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (value) => {
        expect(formatFloat32(value)).toBe(reference(value));
      }),
      { numRuns: 20_000 },
    );
  });

  it('formats and parses whole vectors', () => {
    const vector = new Float32Array([0.25, -1, 1e-20, 3.4e38, 16777216]);
    const text = formatVector(vector, 5, subject);
    expect(text).toBe('[0.25,-1,9.99999968e-21,3.39999995e+38,16777216]');
    expect(parseVector(text, 'x')).toEqual(vector);
    // Longer than the buffer the text is written to at first (16 KB): the buffer grows.
    const long = Float32Array.from({ length: 3_000 }, (_, i) => -Math.fround(Math.sin(i) * 1e-3 - 1e-12));
    const longText = formatVector(long, long.length, subject);
    expect(longText).toBe(`[${Array.from(long, (value) => formatFloat32(value)).join(',')}]`);
    expect(parseVector(longText, 'x')).toEqual(long);
  });

  it('rejects NaN, Infinity and a wrong length, naming the chunk and position', async () => {
    const nan = await caught(async () => formatVector(new Float32Array([0, Number.NaN, 1]), 3, subject));
    expect(nan.code).toBe('E_VECTOR_INVALID');
    expect(nan.message).toContain('chunk 2 (abc) of document d.md has NaN at position 1');
    expect(nan.field).toBe(`${subject.field}[1]`);
    const infinity = await caught(async () => formatVector(new Float32Array([Number.NEGATIVE_INFINITY]), 1, subject));
    expect(infinity.message).toContain('-Infinity at position 0');
    const short = await caught(async () => formatVector(new Float32Array(2), 3, subject));
    expect(short.code).toBe('E_DIMENSION_MISMATCH');
    expect(short.message).toContain('has 2 dimensions, but the collection stores 3');
  });
});

describe('float16 conversion for binary halfvec COPY', () => {
  it('rounds to nearest, ties to even, through subnormals and overflow', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [65504, 0x7bff],
      [65519.99, 0x7bff],
      [65520, 0x7c00],
      [2 ** -14, 0x0400],
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000],
      [3 * 2 ** -25, 0x0002],
      [2 ** -26, 0x0000],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
      [Number.POSITIVE_INFINITY, 0x7c00],
    ];
    for (const [value, bits] of cases) expect([value, float16Bits(value)]).toEqual([value, bits]);
  });

  it('agrees with decoding: every half value converts to itself', () => {
    for (let bits = 0; bits < 0x7c00; bits++) {
      const exponent = bits >> 10;
      const mantissa = bits & 0x3ff;
      const value = exponent === 0 ? mantissa * 2 ** -24 : (1 + mantissa / 1024) * 2 ** (exponent - 15);
      expect(float16Bits(value)).toBe(bits);
      expect(float16Bits(-value)).toBe(bits | 0x8000);
    }
  });
});

describe('maximal marginal relevance', () => {
  it('is relevance order at lambda 1 and prefers novelty as lambda falls', () => {
    const query = new Float32Array([1, 0]);
    const candidates = [new Float32Array([1, 0.1]), new Float32Array([1, 0.11]), new Float32Array([0.7, -0.7])];
    expect(mmrOrder(query, candidates, 3, 1)).toEqual([0, 1, 2]);
    expect(mmrOrder(query, candidates, 2, 0.5)).toEqual([0, 2]);
    expect(mmrOrder(query, candidates, 5, 0.5)).toHaveLength(3);
  });
});
