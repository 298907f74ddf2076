// File values ("GTX Pro", "赢单", "alice") → the tenant's existing entries (products, stages, members …).

/** NFKC, lower case, letters and digits only: "GTX Pro" ≡ "GTXPro" ≡ "gtx-pro" ≡ "ＧＴＸ Ｐｒｏ" (full width). */
export function canonical(value: string): string {
  return value.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}

export type StageKind = 'open' | 'won' | 'lost';

const canonicalSet = (words: string[]) => new Set(words.map(canonical));
// What a file says for "this deal was won / lost", in English and Chinese.
export const WON_WORDS = canonicalSet(['won', 'win', 'closed won', 'closed-won', 'deal won', '赢单', '成交', '已成交', '赢', '签约', '已签约', '签单', '已签单', '成功', '已赢单']);
export const LOST_WORDS = canonicalSet(['lost', 'lose', 'loss', 'closed lost', 'closed-lost', 'deal lost', '输单', '丢单', '失败', '已输单', '已丢单', '输', '丢失', '已失败']);
export const OPEN_WORDS = canonicalSet(['open', 'opened', 'in progress', 'active', 'ongoing', 'pending', '进行中', '跟进中', '未关闭', '开放', '打开', '未成交']);

export interface MatchEntry {
  id: string;
  name: string;
  kind?: StageKind;
}

export interface ValueMatch {
  id: string;
  name: string;
  /** True when the names are the same up to case, spaces and punctuation; false for a suggestion. */
  exact: boolean;
}

const FUZZY_MIN_LENGTH = 5;
const FUZZY_MAX_DISTANCE = 2;

/**
 * For each distinct file value, the best existing entry: the same canonical name first; then, for
 * stages, the won/lost kind of a synonym ("Closed Won", "赢单"); then a near name (edit distance ≤ 2
 * on canonical forms of ≥ 5 characters, e.g. "GTXPro 2" vs "GTX Pro2"); else null.
 * Two guards keep near matches from merging different things: names whose digits differ never match
 * ("Model 5000" vs "Model 6000"), and a value never takes an entry the file itself names elsewhere
 * (a file with "Product A" and "Product B" means two products, even if only "Product A" exists).
 */
export function matchValues(values: string[], existing: MatchEntry[]): Map<string, ValueMatch | null> {
  const exact = new Map<string, MatchEntry>();
  const entries: { entry: MatchEntry; canonical: string }[] = [];
  for (const entry of existing) {
    const key = canonical(entry.name);
    if (key === '') continue;
    if (!exact.has(key)) exact.set(key, entry);
    entries.push({ entry, canonical: key });
  }
  const wonStage = existing.find((e) => e.kind === 'won');
  const lostStage = existing.find((e) => e.kind === 'lost');
  const fileNames = new Set(values.map(canonical));
  const index = new NearNameIndex(entries.filter((e) => e.canonical.length >= FUZZY_MIN_LENGTH));

  const result = new Map<string, ValueMatch | null>();
  for (const value of values) {
    if (result.has(value)) continue;
    const key = canonical(value);
    let match: ValueMatch | null = null;
    const same = key === '' ? undefined : exact.get(key);
    if (same) {
      match = { id: same.id, name: same.name, exact: true };
    } else if (wonStage && WON_WORDS.has(key)) {
      match = { id: wonStage.id, name: wonStage.name, exact: false };
    } else if (lostStage && LOST_WORDS.has(key)) {
      match = { id: lostStage.id, name: lostStage.name, exact: false };
    } else if (key.length >= FUZZY_MIN_LENGTH) {
      const near = index.nearest(key, (candidate) => !fileNames.has(candidate) && digits(candidate) === digits(key));
      if (near) match = { id: near.id, name: near.name, exact: false };
    }
    result.set(value, match);
  }
  return result;
}

function digits(value: string): string {
  return value.replace(/\D/g, '');
}

// Candidates within edit distance 2 without comparing every pair (a file's accounts against a
// tenant's thousands would be millions of comparisons). Pigeonhole: cut each name into 3 pieces;
// 2 edits touch at most 2 of them, so one piece appears unchanged in the other name, shifted by at
// most 2 positions. The index finds names by such a piece; edit distance confirms.
class NearNameIndex {
  private readonly pieces = new Map<string, number[]>();
  constructor(private readonly entries: { entry: MatchEntry; canonical: string }[]) {
    entries.forEach(({ canonical: name }, i) => {
      const cuts = pieceCuts(name.length);
      for (let p = 0; p < 3; p++) {
        const key = `${name.length}|${p}|${name.slice(cuts[p], cuts[p + 1])}`;
        const list = this.pieces.get(key);
        if (list) list.push(i);
        else this.pieces.set(key, [i]);
      }
    });
  }

  nearest(name: string, allowed: (candidate: string) => boolean): MatchEntry | null {
    const seen = new Set<number>();
    let best: { index: number; distance: number } | null = null;
    for (let length = Math.max(FUZZY_MIN_LENGTH, name.length - FUZZY_MAX_DISTANCE); length <= name.length + FUZZY_MAX_DISTANCE; length++) {
      const cuts = pieceCuts(length);
      for (let p = 0; p < 3; p++) {
        const size = cuts[p + 1]! - cuts[p]!;
        for (let shift = -FUZZY_MAX_DISTANCE; shift <= FUZZY_MAX_DISTANCE; shift++) {
          const start = cuts[p]! + shift;
          if (start < 0 || start + size > name.length) continue;
          for (const i of this.pieces.get(`${length}|${p}|${name.slice(start, start + size)}`) ?? []) {
            if (seen.has(i)) continue;
            seen.add(i);
            const candidate = this.entries[i]!.canonical;
            if (!allowed(candidate)) continue;
            const distance = editDistance(name, candidate, FUZZY_MAX_DISTANCE);
            if (distance > FUZZY_MAX_DISTANCE) continue;
            if (!best || distance < best.distance || (distance === best.distance && i < best.index)) best = { index: i, distance };
          }
        }
      }
    }
    return best ? this.entries[best.index]!.entry : null;
  }
}

function pieceCuts(length: number): [number, number, number, number] {
  return [0, Math.floor(length / 3), Math.floor((2 * length) / 3), length];
}

/** Levenshtein distance, or max + 1 as soon as it must exceed max. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return max + 1;
    previous = current;
  }
  return Math.min(previous[b.length]!, max + 1);
}
