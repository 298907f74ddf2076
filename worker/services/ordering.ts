// Card order within a column: fractional index keys (fractional-indexing), so a move rewrites
// only the moved row. Keys compare as plain strings, which is how SQLite orders them too.
import { generateKeyBetween, generateNKeysBetween } from 'fractional-indexing';

// Concurrent writers between the same two neighbours would all compute the same key and collide
// on the unique index; each picks one of several keys in the gap instead, at random.
const SPREAD = 16;

/** A key strictly between `before` and `after` (either may be null for an open end). */
export function positionBetween(before: string | null, after: string | null, random: () => number = Math.random): string {
  if (before !== null && after !== null && before >= after) {
    // Equal or crossed neighbours (e.g. after a concurrent move): place right after `before`.
    return generateKeyBetween(before, null);
  }
  const keys = generateNKeysBetween(before, after, SPREAD);
  return keys[Math.floor(random() * SPREAD)]!;
}
