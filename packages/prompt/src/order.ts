export type ContextOrder = 'score' | 'lost-in-the-middle';

export const CONTEXT_ORDERS: readonly ContextOrder[] = ['score', 'lost-in-the-middle'];

/**
 * Arranges items given best first. 'score' keeps that order. 'lost-in-the-middle' puts the best at the two
 * ends and the weakest in the middle (1st, 3rd, 5th … then … 6th, 4th, 2nd), since models attend most to the
 * start and the end of a long context (Liu et al., "Lost in the Middle", 2023).
 */
export function arrange<T>(bestFirst: readonly T[], order: ContextOrder): T[] {
  if (order === 'score') return [...bestFirst];
  const front: T[] = [];
  const back: T[] = [];
  for (const [index, item] of bestFirst.entries()) {
    if (index % 2 === 0) front.push(item);
    else back.push(item);
  }
  return [...front, ...back.reverse()];
}
