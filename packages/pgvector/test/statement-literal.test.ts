/** The literals inlined into one-message statement batches: exactly node-postgres's own escaping, fast path or not. */
import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { literal } from '../src/statement-batch.js';

describe('literal', () => {
  it("equals pg.escapeLiteral for any text without NUL (quotes, backslashes, E'' form included)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', "'", '\\', ' ', ',', '[', ']', '1', '.', '-', 'é', '\n') }),
        (text) => {
          expect(literal(text)).toBe(pg.escapeLiteral(text));
        },
      ),
      { numRuns: 2_000, seed: 14 },
    );
    expect(literal("it's")).toBe("'it''s'");
    expect(literal('a\\b')).toBe(" E'a\\\\b'");
    expect(literal('[0.5,-1,2]')).toBe("'[0.5,-1,2]'");
  });
});
