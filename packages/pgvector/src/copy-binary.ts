import type { VectorType } from './settings.js';

/** PostgreSQL's binary COPY header: signature, flags (0), header-extension length (0). */
const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const TEXT_OID = 25;
/** jsonb's binary form is a version byte (1) followed by the JSON text. */
const JSONB_VERSION = 1;

/**
 * Writes rows in PostgreSQL's binary COPY format. Vectors go in as raw float32 (or float16 for halfvec)
 * bits, so neither side formats or parses decimal text: the main cost of text COPY and INSERT, and on PGlite
 * (whose WebAssembly strtof is slow) most of the write time. Output comes in pieces of about `pieceBytes`.
 */
export class BinaryCopyWriter {
  private buffer: Buffer;
  private position = 0;
  private readonly pieces: Buffer[] = [];

  constructor(private readonly pieceBytes = 256 * 1024) {
    this.buffer = Buffer.allocUnsafe(pieceBytes);
    this.raw(HEADER);
  }

  /** Starts a row of `fields` columns. */
  row(fields: number): void {
    this.ensure(2);
    this.position = this.buffer.writeInt16BE(fields, this.position);
  }

  null(): void {
    this.int32Raw(-1);
  }

  text(value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    this.int32Raw(length);
    this.ensure(length);
    this.position += this.buffer.write(value, this.position, length, 'utf8');
  }

  int4(value: number): void {
    this.int32Raw(4);
    this.int32Raw(value);
  }

  jsonb(json: string): void {
    const length = Buffer.byteLength(json, 'utf8');
    this.int32Raw(length + 1);
    this.ensure(length + 1);
    this.position = this.buffer.writeUInt8(JSONB_VERSION, this.position);
    this.position += this.buffer.write(json, this.position, length, 'utf8');
  }

  /** A one-dimensional text[] without NULLs (an empty array has zero dimensions). */
  textArray(values: readonly string[]): void {
    const lengths = values.map((value) => Buffer.byteLength(value, 'utf8'));
    const body = values.length === 0 ? 12 : 20 + lengths.reduce((sum, length) => sum + 4 + length, 0);
    this.int32Raw(body);
    this.int32Raw(values.length === 0 ? 0 : 1); // dimensions
    this.int32Raw(0); // has NULLs
    this.int32Raw(TEXT_OID);
    if (values.length === 0) return;
    this.int32Raw(values.length);
    this.int32Raw(1); // lower bound
    values.forEach((value, i) => {
      const length = lengths[i] as number;
      this.int32Raw(length);
      this.ensure(length);
      this.position += this.buffer.write(value, this.position, length, 'utf8');
    });
  }

  /** pgvector's binary input: int16 dimensions, int16 unused, then big-endian float32 (vector) or float16 (halfvec). */
  vector(values: Float32Array, type: VectorType): void {
    const width = type === 'vector' ? 4 : 2;
    const length = 4 + width * values.length;
    this.int32Raw(length);
    this.ensure(length);
    let at = this.buffer.writeInt16BE(values.length, this.position);
    at = this.buffer.writeInt16BE(0, at);
    if (type === 'vector') {
      for (const value of values) at = this.buffer.writeFloatBE(value, at);
    } else {
      for (const value of values) at = this.buffer.writeUInt16BE(float16Bits(value), at);
    }
    this.position = at;
  }

  /** Pieces completed so far (call between rows); the writer keeps what is still being filled. */
  takePieces(): Buffer[] {
    return this.pieces.splice(0);
  }

  /** Ends the data (trailer) and returns the remaining pieces. */
  finish(): Buffer[] {
    this.ensure(2);
    this.position = this.buffer.writeInt16BE(-1, this.position);
    this.flush();
    return this.takePieces();
  }

  private int32Raw(value: number): void {
    this.ensure(4);
    this.position = this.buffer.writeInt32BE(value, this.position);
  }

  private raw(bytes: Buffer): void {
    this.ensure(bytes.length);
    this.position += bytes.copy(this.buffer, this.position);
  }

  private ensure(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    this.flush();
    if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(Math.max(bytes, this.pieceBytes));
  }

  private flush(): void {
    if (this.position === 0) return;
    // Copy out, so the working buffer can be reused while the piece is still queued for sending.
    this.pieces.push(Buffer.from(this.buffer.subarray(0, this.position)));
    this.position = 0;
  }
}

const float32 = new Float32Array(1);
const float32Bits = new Uint32Array(float32.buffer);

/** IEEE 754 half-precision bits of a float32, rounded to nearest, ties to even (as pgvector converts). */
export function float16Bits(value: number): number {
  float32[0] = value;
  const bits = float32Bits[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // A subnormal half: the value in units of 2^-24, with the implicit leading 1 made explicit.
    const shift = 14 - halfExponent;
    if (shift > 24) return sign;
    const full = mantissa | 0x800000;
    let half = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/** The largest float32 below which float16 rounding stays finite (65504 + half an ulp). */
export const HALF_MAX_ROUNDABLE = 65520;
