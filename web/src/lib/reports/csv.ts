// CSV for "Download CSV": RFC 4180 (CRLF line ends; a field with a comma, quote, CR or LF is
// quoted and its quotes doubled) with a UTF-8 byte order mark, without which Excel reads the
// file in the system code page and shows Chinese names as mojibake.

export type CsvValue = string | number | null | undefined;

const BOM = '\uFEFF';

export function csvField(value: CsvValue): string {
	if (value === null || value === undefined) return '';
	const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
	return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(header: string[], rows: CsvValue[][]): string {
	return BOM + [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}
