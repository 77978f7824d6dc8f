import { WinnowError } from '@winnow/core';

/** Names the vector in errors, e.g. `chunk 3 (id …) of document guide.md`. */
export interface VectorSubject {
  /** A phrase naming the vector's owner, used in the message. */
  owner: string;
  /** The field path reported on the error. */
  field: string;
}

/**
 * 10^k for k = 0…12, each exact in float64. A float32 is m·2^q with m < 2^24, so |value|·10^k = m·5^k·2^(q+k) needs at
 * most 24 + 28 bits for k ≤ 12: the product is exact, and rounding it to an integer rounds the exact binary value.
 */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];

/** The longest text of one value: `-1.17549435e-38` (15 characters), with room to spare. */
const MAX_CHARS = 24;

/** ASCII text is written here and decoded once: 16 KB holds a 384-d vector many times over; it grows if needed. */
let scratch = new Uint8Array(16_384);

/**
 * One float32 as decimal text that parses back (with strtof, as pgvector does) to the same float32.
 * Nine significant digits always suffice for binary32; trailing zeros are dropped to keep COPY data small.
 * The text is exactly `toPrecision(9)` with those zeros dropped (vector-text.test.ts compares the two).
 */
export function formatFloat32(value: number): string {
  return decode(writeFloat32(scratch, 0, value));
}

/** Writes `formatFloat32(value)` as ASCII into `out` at `at`; returns where it ends. */
function writeFloat32(out: Uint8Array, at: number, value: number): number {
  // Small integers (exact in float32, at most 8 digits) print as themselves.
  if (Number.isInteger(value) && Math.abs(value) <= 16_777_216) {
    if (value < 0) out[at++] = 45; /* - */
    return writeDecimal(out, at, Math.abs(value), 0);
  }
  // Why: toPrecision(9) and slicing its text made formatting a 384-d query vector most of what store.search does
  // before sending (61–82 µs of ~100 µs, old and new builds alternated in one process on the loaded 2-core machine);
  // the nine digits from one exact multiplication and Math.round (half up, as toPrecision rounds ties), written as
  // bytes, take 34–48 µs for the vector. Embedding components lie in 1e-4 … 1e9, where toPrecision(9) writes fixed
  // notation and the scale 10^(8 − exponent) is at most 10^12 (exact, see POW10).
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-4 && magnitude < 1e9) {
    let exponent = Math.floor(Math.log10(magnitude));
    // log10 may land one off next to a power of ten, and rounding may carry to ten digits: both move the exponent.
    for (let tries = 0; tries < 3 && exponent >= -4 && exponent <= 8; tries++) {
      const digits = Math.round(magnitude * (POW10[8 - exponent] as number));
      if (digits >= 1e9) exponent++;
      else if (digits < 1e8) exponent--;
      else {
        if (value < 0) out[at++] = 45; /* - */
        return writeDecimal(out, at, digits, 8 - exponent);
      }
    }
  }
  const text = precisionText(value);
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}

/**
 * Writes the integer `digits` (< 2^31) scaled by 10^−decimals (`0.05`, `12.5`, `7`), dropping zeros after the point.
 * Int32 arithmetic throughout (`| 0`): `%` on a double is a call to fmod.
 */
function writeDecimal(out: Uint8Array, at: number, digits: number, decimals: number): number {
  let rest = digits | 0;
  while (decimals > 0 && rest % 10 === 0) {
    rest = (rest / 10) | 0;
    decimals--;
  }
  let length = 1;
  for (let n = rest; n >= 10; n = (n / 10) | 0) length++;
  // The integer part is the digits before the last `decimals`, or 0; then the point and exactly `decimals` digits.
  const end = at + Math.max(length - decimals, 1) + (decimals > 0 ? decimals + 1 : 0);
  let i = end;
  for (let d = 0; d < decimals; d++) {
    out[--i] = 48 + (rest % 10);
    rest = (rest / 10) | 0;
  }
  if (decimals > 0) out[--i] = 46; /* . */
  do {
    out[--i] = 48 + (rest % 10);
    rest = (rest / 10) | 0;
  } while (i > at);
  return end;
}

/** The general case: `toPrecision(9)` with the zeros after the decimal point that carry nothing dropped. */
function precisionText(value: number): string {
  const text = value.toPrecision(9);
  const exponentAt = text.indexOf('e');
  const mantissa = exponentAt === -1 ? text : text.slice(0, exponentAt);
  let end = mantissa.length;
  // Only zeros after a decimal point are insignificant ("100681760" has none to drop).
  if (mantissa.includes('.')) {
    while (mantissa.charCodeAt(end - 1) === 48 /* 0 */) end--;
    if (mantissa.charCodeAt(end - 1) === 46 /* . */) end--;
  }
  return exponentAt === -1 ? mantissa.slice(0, end) : mantissa.slice(0, end) + text.slice(exponentAt);
}

/** The first `length` bytes of the scratch buffer as a (flat, one-byte) string. */
function decode(length: number): string {
  // Why: one decode makes one flat string; the 767 concatenated pieces of a 384-d vector were a rope that V8
  // flattened again when the statement was escaped and written (formatting, escaping and encoding the literal:
  // 113–159 µs before, 80–96 µs after, same run).
  return latin1.decode(scratch.subarray(0, length));
}

const latin1 = new TextDecoder('latin1');

/** Checks length and finiteness; throws E_DIMENSION_MISMATCH or E_VECTOR_INVALID naming the vector. */
export function checkVector(
  values: Float32Array,
  dimensions: number,
  subject: VectorSubject,
  maxMagnitude = Number.POSITIVE_INFINITY,
): void {
  if (values.length !== dimensions) {
    throw new WinnowError(
      'E_DIMENSION_MISMATCH',
      `${subject.owner} has ${values.length} dimensions, but the collection stores ${dimensions}`,
      { field: subject.field, details: { expected: dimensions, actual: values.length } },
    );
  }
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    if (!Number.isFinite(value)) {
      throw new WinnowError('E_VECTOR_INVALID', `${subject.owner} has ${value} at position ${i}`, {
        field: `${subject.field}[${i}]`,
      });
    }
    if (Math.abs(value) >= maxMagnitude) {
      throw new WinnowError(
        'E_VECTOR_INVALID',
        `${subject.owner} has ${value} at position ${i}, out of range for half precision (halfvec)`,
        { field: `${subject.field}[${i}]` },
      );
    }
  }
}

/** pgvector's text input format, `[x,y,…]`, after checking the vector. */
export function formatVector(
  values: Float32Array,
  dimensions: number,
  subject: VectorSubject,
  maxMagnitude = Number.POSITIVE_INFINITY,
): string {
  checkVector(values, dimensions, subject, maxMagnitude);
  const size = values.length * (MAX_CHARS + 1) + 2;
  if (scratch.length < size) scratch = new Uint8Array(size);
  const out = scratch;
  let at = 0;
  out[at++] = 91; /* [ */
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out[at++] = 44; /* , */
    at = writeFloat32(out, at, values[i] as number);
  }
  out[at++] = 93; /* ] */
  return decode(at);
}

/** Parses pgvector's (or halfvec's) text output, which is a JSON array of numbers. */
export function parseVector(text: unknown, field: string): Float32Array {
  if (typeof text === 'string') {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed) && parsed.every((value) => typeof value === 'number')) {
      return Float32Array.from(parsed as number[]);
    }
  }
  throw new WinnowError('E_INTERNAL', `expected a vector in pgvector text format, got ${typeof text}`, { field });
}
