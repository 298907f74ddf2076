// Dates as spreadsheets write them → calendar dates 'YYYY-MM-DD'.
//
// Year-first values (2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日) mean the same thing whatever the
// column's format, so every format accepts them: a column mixing "2024-03-05" and "2024/3/6" reads both.
// Only day-and-month-first values (3/5/2024) need the column's order, and only numbers need
// 'excel-serial' (a bare number is otherwise an amount or an id, never silently a date).
// A time part (" 14:30", "T14:30:00Z", "，2:30 PM") is accepted and dropped: the date is the one written.

export type DateFormat = 'iso' | 'M/D/YYYY' | 'D/M/YYYY' | 'D/M/YY' | 'M/D/YY' | 'YYYY/M/D' | 'YYYY年M月D日' | 'excel-serial';

export const DATE_FORMATS = ['iso', 'YYYY/M/D', 'YYYY年M月D日', 'M/D/YYYY', 'D/M/YYYY', 'M/D/YY', 'D/M/YY', 'excel-serial'] as const satisfies readonly DateFormat[];

const TIME = String.raw`(?:(?:[T\s]|,\s*)\s*(?:[上下]午\s*)?\d{1,2}(?::\d{2}){1,2}(?:[.,]\d{1,9})?\s*(?:[AaPp]\.?[Mm]\.?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)?)?`;
const YEAR_FIRST = new RegExp(String.raw`^(\d{4})\s*(?:([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?)${TIME}$`);
const DAY_MONTH = new RegExp(String.raw`^(\d{1,2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})${TIME}$`);
const SERIAL = /^\d{1,7}(?:\.\d+)?$/;

// Serials a date column plausibly holds when detecting (1950-01-01 … 2099-12-31); given the format
// explicitly, any serial Excel can show is read.
const SERIAL_DETECT_MIN = 18_264;
const SERIAL_DETECT_MAX = 73_050;
const SERIAL_MAX = 2_958_465; // 9999-12-31
const DAY_MS = 86_400_000;

export function parseDate(value: string, format: DateFormat): string | null {
  const text = value.trim();
  if (text === '') return null;
  const yearFirst = YEAR_FIRST.exec(text);
  if (yearFirst) {
    const [, y, , m1, d1, m2, d2] = yearFirst;
    return calendarDate(Number(y), Number(m1 ?? m2), Number(d1 ?? d2));
  }
  if (format === 'excel-serial') return SERIAL.test(text) ? serialDate(Number(text)) : null;
  if (format === 'iso' || format === 'YYYY/M/D' || format === 'YYYY年M月D日') return null;
  const dayMonth = DAY_MONTH.exec(text);
  if (!dayMonth) return null;
  const [, a, , b, y] = dayMonth;
  const monthFirst = format === 'M/D/YYYY' || format === 'M/D/YY';
  return calendarDate(fullYear(y!), Number(monthFirst ? a : b), Number(monthFirst ? b : a));
}

export function detectDateFormat(values: string[]): { format: DateFormat | null; ambiguous: boolean } {
  let iso = 0;
  let slash = 0;
  let chinese = 0;
  let monthFirst = 0;
  let dayFirst = 0;
  let twoDigitYears = 0;
  let fourDigitYears = 0;
  let dots = 0;
  let serials = 0;
  for (const value of values) {
    const text = value.trim();
    if (text === '') continue;
    const yearFirst = YEAR_FIRST.exec(text);
    if (yearFirst) {
      const [, y, separator, m1, d1, m2, d2] = yearFirst;
      if (!calendarDate(Number(y), Number(m1 ?? m2), Number(d1 ?? d2))) continue;
      if (separator === '-') iso++;
      else if (separator) slash++;
      else chinese++;
      continue;
    }
    const dayMonth = DAY_MONTH.exec(text);
    if (dayMonth) {
      const [, a, separator, b, y] = dayMonth;
      const year = fullYear(y!);
      const asMonthFirst = calendarDate(year, Number(a), Number(b)) !== null;
      const asDayFirst = calendarDate(year, Number(b), Number(a)) !== null;
      if (asMonthFirst) monthFirst++;
      if (asDayFirst) dayFirst++;
      if (asMonthFirst || asDayFirst) {
        if (y!.length === 2) twoDigitYears++;
        else fourDigitYears++;
        if (separator === '.') dots++;
      }
      continue;
    }
    if (SERIAL.test(text)) {
      const serial = Number(text);
      if (serial >= SERIAL_DETECT_MIN && serial <= SERIAL_DETECT_MAX && serialDate(serial)) serials++;
    }
  }

  const yearFirst = iso + slash + chinese;
  if (yearFirst + monthFirst + dayFirst + serials === 0) return { format: null, ambiguous: false };
  if (monthFirst === 0 && dayFirst === 0 && serials === 0) {
    // Year-first only: name the column after its most common way of writing them.
    const format = iso >= slash && iso >= chinese ? 'iso' : slash >= chinese ? 'YYYY/M/D' : 'YYYY年M月D日';
    return { format, ambiguous: false };
  }
  if (serials > Math.max(monthFirst, dayFirst)) return { format: 'excel-serial', ambiguous: false };
  const twoDigit = twoDigitYears > fourDigitYears;
  const ambiguous = monthFirst === dayFirst;
  // On a tie (every value has day and month ≤ 12) pick month-first, the order of US exports
  // (Salesforce, HubSpot); dotted dates (5.3.2024) are written day-first where they are used.
  const dayFirstWins = dayFirst > monthFirst || (ambiguous && dots * 2 > monthFirst);
  const format: DateFormat = dayFirstWins ? (twoDigit ? 'D/M/YY' : 'D/M/YYYY') : twoDigit ? 'M/D/YY' : 'M/D/YYYY';
  return { format, ambiguous };
}

/** 'YYYY-MM-DD', or null when there is no such day (2023-02-30, month 13). */
function calendarDate(year: number, month: number, day: number): string | null {
  if (year < 1000 || year > 9999 || month < 1 || month > 12 || day < 1) return null;
  if (day > daysInMonth(year, month)) return null;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// Two-digit years as Excel reads them: 00–29 → 2000s, 30–99 → 1900s.
function fullYear(digits: string): number {
  const year = Number(digits);
  if (digits.length === 4) return year;
  return year < 30 ? 2000 + year : 1900 + year;
}

// Excel's 1900 date system counts 1900-01-01 as 1 and, copying Lotus 1-2-3, treats 1900 as a leap
// year: serial 60 is the non-existent 1900-02-29, and serials after it are one day ahead of a plain count.
function serialDate(serial: number): string | null {
  const day = Math.floor(serial);
  if (day < 1 || day > SERIAL_MAX || day === 60) return null;
  const epoch = day < 60 ? Date.UTC(1899, 11, 31) : Date.UTC(1899, 11, 30);
  return new Date(epoch + day * DAY_MS).toISOString().slice(0, 10);
}
