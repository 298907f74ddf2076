// Card order within a column: fractional index keys (fractional-indexing), so a move rewrites
// only the moved row. Keys compare as plain strings, which is how SQLite orders them too.
import { generateKeyBetween } from 'fractional-indexing';

/** A key strictly between `before` and `after` (either may be null for an open end). */
export function positionBetween(before: string | null, after: string | null): string {
  if (before !== null && after !== null && before >= after) {
    // Equal or crossed neighbours (e.g. after a concurrent move): place right after `before`.
    return generateKeyBetween(before, null);
  }
  return generateKeyBetween(before, after);
}
