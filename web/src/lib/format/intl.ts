// Numbers, money and dates go through Intl, in the UI language. Money arrives in minor units
// (cents, 分) of the tenant's currency; how many digits a currency's minor unit has comes from
// Intl too (2 for CNY and USD, 0 for JPY), not from a hard-coded 100.

const formatters = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
	const key = `${locale}|${JSON.stringify(options)}`;
	let formatter = formatters.get(key);
	if (!formatter) {
		formatter = new Intl.NumberFormat(locale, options);
		formatters.set(key, formatter);
	}
	return formatter;
}

export function minorUnitDigits(currency: string): number {
	return numberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

export function fromMinorUnits(amount: number, currency: string): number {
	return amount / 10 ** minorUnitDigits(currency);
}

/** Whole units for totals on the board (¥12,800 rather than ¥12,800.00); cents when they matter. */
export function formatMoney(amountMinor: number, currency: string, locale: string): string {
	const value = fromMinorUnits(amountMinor, currency);
	const fractionDigits = Number.isInteger(value) ? 0 : minorUnitDigits(currency);
	return numberFormat(locale, {
		style: 'currency',
		currency,
		minimumFractionDigits: fractionDigits,
		maximumFractionDigits: fractionDigits,
	}).format(value);
}

/** Short form for tight spaces: ¥1.2M / ¥120万. The full amount goes in a title or label. */
export function formatMoneyCompact(amountMinor: number, currency: string, locale: string): string {
	const value = fromMinorUnits(amountMinor, currency);
	if (Math.abs(value) < 10_000) return formatMoney(amountMinor, currency, locale);
	return numberFormat(locale, { style: 'currency', currency, notation: 'compact', maximumFractionDigits: 1 }).format(value);
}

export function formatNumber(value: number, locale: string): string {
	return numberFormat(locale, {}).format(value);
}

export function formatPercent(value: number, locale: string): string {
	return numberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(value / 100);
}

/** A calendar date or instant, shown in the tenant's time zone. */
export function formatDate(value: Date | number, locale: string, timeZone?: string): string {
	return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone }).format(value);
}

/** An instant with its time of day (audit entries, tokens, imports), in the tenant's time zone. */
export function formatDateTime(value: Date | number | string, locale: string, timeZone?: string): string {
	return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(typeof value === 'string' ? Date.parse(value) : value);
}

export function browserTimeZone(): string | undefined {
	try {
		return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
	} catch {
		return undefined;
	}
}
