// Calendar dates are YYYY-MM-DD in the tenant's timezone; instants are UTC epoch milliseconds.
const DAY_MS = 86_400_000;

/** The calendar date in `timeZone` at `instant`. */
export function localDate(instant: number, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Offset of `timeZone` from UTC at `instant`, in minutes (Asia/Shanghai → 480). */
// Building a DateTimeFormat is far slower than using one; the nightly forecast converts
// thousands of days per tenant, so one formatter per time zone is kept.
const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

export function utcOffsetMinutes(instant: number, timeZone: string): number {
  let formatter = offsetFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    offsetFormatters.set(timeZone, formatter);
  }
  const name = formatter
    .formatToParts(instant)
    .find((p) => p.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/** The instant of `hour`:00 local time on `date` in `timeZone`. */
export function localTimeToInstant(date: string, hour: number, timeZone: string): number {
  const guess = Date.parse(`${date}T${String(hour).padStart(2, '0')}:00:00Z`);
  if (Number.isNaN(guess)) throw new RangeError(`Invalid date ${date}`);
  // The offset at the guess can differ from the offset at the answer when a daylight-saving
  // change falls between them (e.g. Sydney, Auckland), so correct once with the answer's offset.
  const first = guess - utcOffsetMinutes(guess, timeZone) * 60_000;
  return guess - utcOffsetMinutes(first, timeZone) * 60_000;
}

/** True for a real calendar date written YYYY-MM-DD (rejects 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed) && new Date(parsed).toISOString().slice(0, 10) === value;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export const DAY_MILLISECONDS = DAY_MS;
