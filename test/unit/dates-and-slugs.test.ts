import { describe, expect, it } from 'vitest';
import { addDays, localDate, localTimeToInstant, utcOffsetMinutes } from '../../worker/services/dates';
import { SLUG_PATTERN, slugBase } from '../../worker/services/slug';

describe('tenant calendar dates', () => {
  it('reads the local date in the tenant’s time zone', () => {
    const instant = Date.UTC(2026, 10, 27, 17, 30); // 01:30 on the 28th in Shanghai
    expect(localDate(instant, 'Asia/Shanghai')).toBe('2026-11-28');
    expect(localDate(instant, 'America/Los_Angeles')).toBe('2026-11-27');
  });

  it('adds days across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
  });

  it('turns local wall-clock time into the UTC instant, with daylight saving', () => {
    expect(localTimeToInstant('2026-11-28', 0, 'Asia/Shanghai')).toBe(Date.UTC(2026, 10, 27, 16));
    expect(utcOffsetMinutes(Date.UTC(2026, 6, 1), 'Europe/Berlin')).toBe(120);
    expect(localTimeToInstant('2026-07-01', 9, 'Europe/Berlin')).toBe(Date.UTC(2026, 6, 1, 7));
  });
});

describe('workspace slugs', () => {
  it('come from latin workspace names', () => {
    expect(slugBase('Acme Trading Co.')).toBe('acme-trading-co');
    expect(slugBase('Café Zürich')).toBe('cafe-zurich');
  });

  it('fall back to a neutral base for names without latin letters', () => {
    expect(slugBase('恒达机械')).toBe('ws');
    expect(slugBase('AB')).toBe('ws');
  });

  it('are URL-safe and bounded', () => {
    const slug = slugBase('A'.repeat(200) + ' very long name');
    expect(slug.length).toBeLessThanOrEqual(32);
    expect(slug).toMatch(SLUG_PATTERN);
  });
});
