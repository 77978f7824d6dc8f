import { WinnowError } from '@winnow/core';

/** Names the vector in errors, e.g. `chunk 3 (id …) of document guide.md`. */
export interface VectorSubject {
  /** A phrase naming the vector's owner, used in the message. */
  owner: string;
  /** The field path reported on the error. */
  field: string;
}

/**
 * One float32 as decimal text that parses back (with strtof, as pgvector does) to the same float32.
 * Nine significant digits always suffice for binary32; trailing zeros are dropped to keep COPY data small.
 */
export function formatFloat32(value: number): string {
  // Small integers (exact in float32, at most 8 digits) print as themselves.
  if (Number.isInteger(value) && Math.abs(value) <= 16_777_216) return value === 0 ? '0' : String(value);
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
  let text = '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) text += ',';
    text += formatFloat32(values[i] as number);
  }
  return `${text}]`;
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
