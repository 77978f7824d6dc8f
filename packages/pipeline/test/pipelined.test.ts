/** The indexer's producer/consumer queue: order, the bound, and which failure wins. */
import { describe, expect, it } from 'vitest';
import { pipelined } from '../src/pipelined.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('pipelined', () => {
  it('consumes every item in order while the producer runs at most `capacity` items ahead', async () => {
    const consumed: number[] = [];
    let maxAhead = 0;
    let produced = 0;
    await pipelined<number>(
      2,
      async (push) => {
        for (let i = 0; i < 20; i++) {
          await push(i);
          produced++;
          maxAhead = Math.max(maxAhead, produced - consumed.length);
        }
      },
      async (item) => {
        await tick();
        consumed.push(item);
      },
    );
    expect(consumed).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Two queued plus the one being consumed.
    expect(maxAhead).toBeLessThanOrEqual(3);
  });

  it('a consumer failure stops the producer and is the error thrown', async () => {
    let pushedAfterFailure = false;
    let stoppedSeen = false;
    const failure = new Error('write failed');
    const run = pipelined<number>(
      1,
      async (push, stopped) => {
        for (let i = 0; i < 100; i++) {
          if (stopped()) {
            stoppedSeen = true;
            return;
          }
          try {
            await push(i);
          } catch (error) {
            pushedAfterFailure = true;
            throw new Error(`producer saw: ${(error as Error).message}`);
          }
          await tick();
        }
      },
      async (item) => {
        if (item === 2) throw failure;
      },
    );
    await expect(run).rejects.toBe(failure);
    expect(pushedAfterFailure || stoppedSeen).toBe(true);
  });

  it('a producer failure still consumes what it queued, then is thrown', async () => {
    const consumed: number[] = [];
    const run = pipelined<number>(
      4,
      async (push) => {
        await push(1);
        await push(2);
        throw new Error('source unreadable');
      },
      async (item) => {
        await tick();
        consumed.push(item);
      },
    );
    await expect(run).rejects.toThrow('source unreadable');
    expect(consumed).toEqual([1, 2]);
  });
});
