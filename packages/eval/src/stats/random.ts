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
