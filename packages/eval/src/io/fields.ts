import { lineError } from './lines.js';

/** Parses an integer relevance grade such as `1`, `0` or `-1`. */
export function parseGrade(text: string, file: string, line: number): number {
  if (!/^[+-]?\d+$/.test(text)) throw lineError(file, line, `grade ${JSON.stringify(text)} is not an integer`);
  const grade = Number(text);
  if (!Number.isSafeInteger(grade)) throw lineError(file, line, `grade ${text} is out of range`);
  return grade;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INFINITE = /^([+-]?)inf(inity)?$/i;

/** Parses a run score: a decimal float, or inf/-inf as Python writes them. NaN is refused. */
export function parseScore(text: string, file: string, line: number): number {
  if (DECIMAL.test(text)) return Number(text);
  const infinite = INFINITE.exec(text);
  if (infinite) return infinite[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  throw lineError(file, line, `score ${JSON.stringify(text)} is not a number`);
}

/** Checks an id read from a whitespace-separated file is non-empty. */
export function requireId(text: string | undefined, what: string, file: string, line: number): string {
  if (text === undefined || text === '') throw lineError(file, line, `${what} is empty`);
  return text;
}
