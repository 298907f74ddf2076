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

// How far a near name may be. Two edits leave little of a short name ("Delta"/"Beta"), and a Chinese
// character carries a word: "华为科技有限公司" and "中兴科技有限公司" are only two edits apart. So: 1 edit
// below 8 characters and in any name with Chinese characters, else 2.
function maxDistance(name: string): number {
  if (name.length < FUZZY_MIN_LENGTH) return 0;
  return name.length < 8 || /\p{Script=Han}/u.test(name) ? 1 : FUZZY_MAX_DISTANCE;
}

/**
 * For each distinct file value, the best existing entry: the same canonical name first; then, for
 * stages, the won/lost kind of a synonym ("Closed Won", "赢单"); then a near name (edit distance on
 * canonical forms of ≥ 5 characters: ≤ 2 from 8 Latin characters, else ≤ 1, e.g. "Widgit Max" for
 * "Widget Max"); else null.
 * Two guards keep near matches from merging different things: names whose digits differ never match
 * ("Model 5000" vs "Model 6000"), and a value never takes an entry the file itself names elsewhere
 * (a file with "Product A" and "Product B" means two products, even if only "Product A" exists).
 */
export function matchValues(values: string[], existing: MatchEntry[]): Map<string, ValueMatch | null> {
  const exact = new Map<string, MatchEntry>();
  const entries: IndexedEntry[] = [];
  for (const entry of existing) {
    const key = canonical(entry.name);
    if (key === '') continue;
    if (!exact.has(key)) exact.set(key, entry);
    entries.push({ entry, canonical: key, digits: digits(key), maxDistance: maxDistance(key) });
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
      const keyDigits = digits(key);
      const near = index.nearest(key, (candidate) => candidate.digits === keyDigits && !fileNames.has(candidate.canonical));
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
interface IndexedEntry {
  entry: MatchEntry;
  canonical: string;
  digits: string;
  maxDistance: number;
}

class NearNameIndex {
  private readonly pieces = new Map<string, number[]>();
  // seen[i] === search: entry i was already looked at in this search (a Set per search is far slower
  // when common pieces such as "有限公司" or "holdings" list most entries).
  private readonly seen: Uint32Array;
  private search = 0;
  private readonly entries: IndexedEntry[];
  constructor(entries: IndexedEntry[]) {
    this.entries = entries;
    this.seen = new Uint32Array(entries.length);
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

  nearest(name: string, allowed: (candidate: IndexedEntry) => boolean): MatchEntry | null {
    const max = maxDistance(name);
    const seen = this.seen;
    const search = ++this.search;
    let best: { index: number; distance: number } | null = null;
    for (let length = Math.max(FUZZY_MIN_LENGTH, name.length - max); length <= name.length + max; length++) {
      const cuts = pieceCuts(length);
      for (let p = 0; p < 3; p++) {
        const size = cuts[p + 1]! - cuts[p]!;
        for (let shift = -max; shift <= max; shift++) {
          const start = cuts[p]! + shift;
          if (start < 0 || start + size > name.length) continue;
          for (const i of this.pieces.get(`${length}|${p}|${name.slice(start, start + size)}`) ?? []) {
            if (seen[i] === search) continue;
            seen[i] = search;
            // A distance of 1 cannot be beaten (0 would have been an exact match): only an earlier entry can win.
            if (best && best.distance === 1 && i > best.index) continue;
            const candidate = this.entries[i]!;
            if (!allowed(candidate)) continue;
            const limit = Math.min(max, candidate.maxDistance);
            const distance = editDistance(name, candidate.canonical, limit);
            if (distance > limit) continue;
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

// Reused between calls: matching thousands of names would otherwise allocate two arrays per pair.
let previousRow = new Int32Array(64);
let currentRow = new Int32Array(64);

/** Levenshtein distance, or max + 1 as soon as it must exceed max. Only the diagonal band |i − j| ≤ max is computed. */
export function editDistance(a: string, b: string, max: number): number {
  const n = a.length;
  const m = b.length;
  const over = max + 1;
  if (Math.abs(n - m) > max) return over;
  if (previousRow.length < m + 2) {
    previousRow = new Int32Array(m + 2);
    currentRow = new Int32Array(m + 2);
  }
  let prev = previousRow;
  let cur = currentRow;
  for (let j = 0; j <= m; j++) prev[j] = j <= max ? j : over;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - max);
    const hi = Math.min(m, i + max);
    cur[lo - 1] = lo === 1 ? Math.min(i, over) : over;
    let rowMin = cur[lo - 1]!;
    const ai = a.charCodeAt(i - 1);
    for (let j = lo; j <= hi; j++) {
      const cost = ai === b.charCodeAt(j - 1) ? 0 : 1;
      let value = prev[j - 1]! + cost;
      const up = prev[j]! + 1;
      const left = cur[j - 1]! + 1;
      if (up < value) value = up;
      if (left < value) value = left;
      if (value > over) value = over;
      cur[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (hi < m) cur[hi + 1] = over; // outside the band: read as "too far" by the next row
    if (rowMin > max) return over;
    [prev, cur] = [cur, prev];
  }
  return Math.min(prev[m]!, over);
}
