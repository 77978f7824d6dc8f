import { WinnowError } from '@winnow/core';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { mersenne } from 'pure-rand/generator/mersenne';

/** The random draws the resampling methods need, from a seeded Mersenne Twister (reproducible). */
export interface SeededRandom {
  /** 32 independent fair bits, as a signed 32-bit integer. */
  bits(): number;
  /** A uniform integer in [0, size). */
  index(size: number): number;
}

export function seededRandom(seed: number, field = 'options.seed'): SeededRandom {
  if (!Number.isSafeInteger(seed)) {
    throw new WinnowError('E_CONFIG_INVALID', `seed must be an integer, got ${seed}`, { field });
  }
  // The generator takes a 32-bit seed; larger integers fold onto it.
  const generator = mersenne(seed | 0);
  return {
    bits: () => generator.next(),
    index: (size) => uniformInt(generator, 0, size - 1),
  };
}

/** A seeded Fisher–Yates shuffle (a new array): the same seed gives the same order. */
export function seededShuffle<T>(items: readonly T[], seed: number, field = 'seed'): T[] {
  const random = seededRandom(seed, field);
  const shuffled = [...items];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = random.index(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j] as T, shuffled[i] as T];
  }
  return shuffled;
}
