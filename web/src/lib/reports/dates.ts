// Calendar arithmetic on workspace-local YYYY-MM-DD dates (no time zone: UTC noon-free maths).

const DAY_MS = 86_400_000;

export function isIsoDate(value: string): boolean {
	return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
}

export function addDays(date: string, days: number): string {
	return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `from` to `to` (both YYYY-MM-DD); inclusive counts add 1. */
export function daysBetween(from: string, to: string): number {
	return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

export function addMonths(date: string, months: number): string {
	const [year, month] = date.split('-').map(Number) as [number, number];
	const index = year * 12 + (month - 1) + months;
	return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}-01`;
}

export function monthStart(date: string): string {
	return `${date.slice(0, 7)}-01`;
}

/** A calendar date shown in the UI language, without shifting it through a time zone. */
export function formatDay(date: string, locale: string, options: Intl.DateTimeFormatOptions = { dateStyle: 'medium' }): string {
	return new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
}

export function formatMonth(date: string, locale: string): string {
	return formatDay(date, locale, { year: 'numeric', month: 'short' });
}
