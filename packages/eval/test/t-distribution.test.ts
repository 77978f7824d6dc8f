import jStat from 'jstat';
import { describe, expect, it } from 'vitest';
import { logGamma, regularizedIncompleteBeta, studentTCdf, studentTTwoSided } from '../src/index.js';

describe('logGamma', () => {
  it('matches ln((n-1)!) and ln Γ(1/2) = ln √π', () => {
    let factorial = 1;
    for (let n = 1; n <= 30; n++) {
      expect(logGamma(n)).toBeCloseTo(Math.log(factorial), 10);
      factorial *= n;
    }
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 12);
  });
});

describe('regularizedIncompleteBeta', () => {
  it('equals a binomial tail for integer a, b: I_x(a, b) = P(Binomial(a + b - 1, x) >= a)', () => {
    const binomialTail = (n: number, p: number, atLeast: number) => {
      let sum = 0;
      let coefficient = 1;
      for (let k = 0; k <= n; k++) {
        if (k >= atLeast) sum += coefficient * p ** k * (1 - p) ** (n - k);
        coefficient = (coefficient * (n - k)) / (k + 1);
      }
      return sum;
    };
    for (const [a, b] of [
      [1, 1],
      [2, 5],
      [7, 3],
      [15, 15],
      [40, 2],
    ] as const) {
      for (const x of [0.01, 0.3, 0.5, 0.77, 0.99]) {
        expect(regularizedIncompleteBeta(x, a, b), `x=${x} a=${a} b=${b}`).toBeCloseTo(
          binomialTail(a + b - 1, x, a),
          12,
        );
      }
    }
  });

  it('is 0 at x = 0 and 1 at x = 1', () => {
    expect(regularizedIncompleteBeta(0, 3, 0.5)).toBe(0);
    expect(regularizedIncompleteBeta(1, 3, 0.5)).toBe(1);
  });
});

describe('Student t distribution', () => {
  it('gives the textbook two-sided critical values', () => {
    // t table: (t, df, two-sided p)
    const table: [number, number, number][] = [
      [12.706, 1, 0.05],
      [4.303, 2, 0.05],
      [2.262, 9, 0.05],
      [2.228, 10, 0.05],
      [3.169, 10, 0.01],
      [2.086, 20, 0.05],
      [2.042, 30, 0.05],
      [2.756, 29, 0.01],
      [1.984, 100, 0.05],
    ];
    for (const [t, df, p] of table) expect(studentTTwoSided(t, df), `t=${t} df=${df}`).toBeCloseTo(p, 3);
  });

  it('matches the closed forms for 1 and 2 degrees of freedom', () => {
    for (const t of [-30, -2.5, -0.4, 0, 0.4, 1, 2.5, 30]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 13);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 13);
    }
  });

  // jstat is itself only accurate to about 1e-8 (it gives 0.50000002 at t = 0, df = 1).
  it('agrees with jstat over a grid of t and degrees of freedom', () => {
    for (const df of [1, 2, 3, 5, 9, 29, 99, 299, 5000]) {
      for (const t of [-8, -3.2, -1.7, -0.3, 0, 0.05, 0.9, 2.1, 4.4, 10]) {
        expect(Math.abs(studentTCdf(t, df) - jStat.studentt.cdf(t, df)), `t=${t} df=${df}`).toBeLessThan(1e-7);
      }
    }
  });

  it('keeps precision in the far tail and is exactly 1 at t = 0', () => {
    expect(studentTTwoSided(0, 7)).toBe(1);
    const farTail = studentTTwoSided(40, 299);
    expect(farTail).toBeGreaterThan(0);
    expect(farTail).toBeLessThan(1e-100);
    expect(studentTTwoSided(Number.POSITIVE_INFINITY, 5)).toBe(0);
  });
});
