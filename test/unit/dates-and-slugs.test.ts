import { describe, expect, it } from 'vitest';
import { addDays, localDate, localTimeToInstant, utcOffsetMinutes } from '../../worker/services/dates';
import { SLUG_PATTERN, slugBase } from '../../worker/services/slug';
import { rateLimitAddress } from '../../worker/services/client-address';

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

describe('local midnight across daylight-saving changes', () => {
  it('is exact in Sydney on the days clocks change', () => {
    // 2026-04-05: AEDT (+11) ends at 03:00 → AEST (+10). Midnight that day is still +11.
    expect(localTimeToInstant('2026-04-05', 0, 'Australia/Sydney')).toBe(Date.UTC(2026, 3, 4, 13));
    // 2026-10-04: AEST (+10) → AEDT (+11) at 02:00. Midnight that day is still +10.
    expect(localTimeToInstant('2026-10-04', 0, 'Australia/Sydney')).toBe(Date.UTC(2026, 9, 3, 14));
  });

  it('is exact in Auckland on the days clocks change', () => {
    expect(localTimeToInstant('2026-04-05', 0, 'Pacific/Auckland')).toBe(Date.UTC(2026, 3, 4, 11));
    expect(localTimeToInstant('2026-09-27', 0, 'Pacific/Auckland')).toBe(Date.UTC(2026, 8, 26, 12));
  });

  it('is exact in New York on the days clocks change', () => {
    expect(localTimeToInstant('2026-03-08', 0, 'America/New_York')).toBe(Date.UTC(2026, 2, 8, 5));
    expect(localTimeToInstant('2026-11-01', 0, 'America/New_York')).toBe(Date.UTC(2026, 10, 1, 4));
  });

  it('round-trips every midnight of a year in several zones', () => {
    for (const zone of ['Asia/Shanghai', 'Australia/Sydney', 'Pacific/Auckland', 'Europe/London', 'America/Los_Angeles']) {
      for (let day = 0; day < 366; day += 1) {
        const date = addDays('2026-01-01', day);
        expect(localDate(localTimeToInstant(date, 0, zone), zone)).toBe(date);
        expect(localDate(localTimeToInstant(date, 0, zone) - 1, zone)).toBe(addDays(date, -1));
      }
    }
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

  it('never take a word the app’s own URLs use', () => {
    for (const word of ['Login', 'API', 'signup', 'Settings']) expect(slugBase(word)).toBe(`ws-${word.toLowerCase()}`);
  });

  it('are URL-safe and bounded', () => {
    const slug = slugBase('A'.repeat(200) + ' very long name');
    expect(slug.length).toBeLessThanOrEqual(32);
    expect(slug).toMatch(SLUG_PATTERN);
  });
});

describe('rate-limit addresses', () => {
  it('keep IPv4 addresses as they are', () => {
    expect(rateLimitAddress('203.0.113.9')).toBe('203.0.113.9');
  });

  it('group an IPv6 client’s whole /64', () => {
    expect(rateLimitAddress('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(rateLimitAddress('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(rateLimitAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
  });

  it('use one bucket when the platform gives no address', () => {
    expect(rateLimitAddress(undefined)).toBe('unknown');
  });
});
