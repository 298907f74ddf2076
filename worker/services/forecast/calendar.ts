import { addDays } from '../dates';

export const daysBetween = (from: string, to: string): number =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

export const monthStart = (date: string): string => `${date.slice(0, 7)}-01`;

export function addMonths(date: string, months: number): string {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7)) - 1 + months;
  const year = y + Math.floor(m / 12);
  const month = ((m % 12) + 12) % 12 + 1;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-01`;
}

/** First day of the fiscal quarter containing `date` (fiscal year starts in month `fyStart`, 1–12). */
export function quarterStart(date: string, fyStart: number): string {
  const month = Number(date.slice(5, 7));
  const offset = (((month - fyStart) % 12) + 12) % 12;
  return addMonths(monthStart(date), -(offset % 3));
}

/** 1, 2 or 3: position of the month of `date` in its fiscal quarter. */
export function monthInQuarter(date: string, fyStart: number): number {
  const month = Number(date.slice(5, 7));
  return ((((month - fyStart) % 12) + 12) % 12) % 3 + 1;
}

export const periodEnd = (start: string, months: number): string => addDays(addMonths(start, months), -1);
