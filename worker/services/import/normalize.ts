// Parsed rows + a column mapping → typed values per row, with every problem named by row, column and value.
import { parseAmount } from './amounts';
import type { ParsedCsv } from './csv';
import { type DateFormat, detectDateFormat, parseDate } from './dates';
import { DATE_FIELDS, type DateField, FIELD_MAX_LENGTH, type ImportEntity, REQUIRED_FIELD, type TargetField, isTargetField } from './fields';
import { LOST_WORDS, OPEN_WORDS, WON_WORDS, canonical } from './matching';

export type IssueCode =
  | 'required'
  | 'too_long'
  | 'invalid_date'
  | 'invalid_amount'
  | 'negative_amount'
  | 'amount_too_large'
  | 'invalid_status'
  | 'invalid_boolean'
  | 'invalid_email'
  | 'closed_before_created'
  | 'ragged_row'
  | 'malformed_quotes';

export interface RowIssue {
  rowNumber: number;
  /** The file's header; '' for problems of the row as a whole (ragged rows). */
  column: string;
  value: string;
  /** English; `code` is stable for translations. */
  reason: string;
  severity: 'error' | 'warning';
  code: IssueCode;
}

export interface NormalizedValues {
  externalId: string; title: string; name: string; account: string; contact: string; owner: string; stage: string;
  status: 'open' | 'won' | 'lost'; type: string; source: string; product: string; amount: number;
  expectedCloseDate: string; createdAt: string; closedAt: string; stageEnteredAt: string; lostReason: string;
  needs: string; notes: string; pipeline: string; industry: string; city: string; phone: string; website: string;
  email: string; wechat: string; isKey: boolean; jobTitle: string;
}

export interface NormalizedRow {
  rowNumber: number;
  /** Raw (trimmed) strings for reference fields, parsed values for the rest; absent when not mapped or empty. */
  values: Partial<NormalizedValues>;
  /** Errors make the row unimportable; warnings keep it (the offending value is left out). */
  issues: RowIssue[];
}

// Amounts at most what the API accepts (worker/routes/opportunities.ts: Money ≤ 1e13 minor units).
export const MAX_AMOUNT = 1e13;
const ISSUE_VALUE_MAX = 200;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TRUE_WORDS = new Set(['1', 'true', 'yes', 'y', 'x', 't', '✓', '✔', '是', '对', '真', '有', 'key', '关键', '重要']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'n', 'f', '否', '不是', '假', '无']);

type Column = { index: number; header: string };

/**
 * Applies the mapping and each date column's format (detected when not given) to every row. Never
 * throws for bad data. Decisions:
 * - the entity's required field (title; name) missing → an error, the row is not importable;
 * - every other bad value (date, amount, status, e-mail, yes/no) → a warning: the value is left out
 *   and the row kept, as a row without that optional field would be;
 * - text longer than the API accepts is cut to fit, with a warning; an external id is never cut
 *   (two ids cut alike would merge records): that is an error;
 * - several columns may map to one field: the first non-empty value (column order) wins; contacts'
 *   name parts ("First Name", "Last Name") are joined; status columns combine: a text status
 *   ("won", "赢单", "Closed Lost") wins, else yes/no flags by their header (Salesforce "Won"/"Closed",
 *   HubSpot "Is Closed Won");
 * - a won or lost row without a closed date takes its expected close date as the closed date (in
 *   HubSpot and Salesforce exports "Close Date" is the actual date once a deal is closed);
 * - an amount column headed in 万元 ("金额（万元）") is read in units of 10,000;
 * - the file's own row warnings (ragged rows, malformed quotes) are copied into the rows' issues;
 * - status comes only from status columns; a row's stage implying won or lost is for the caller to
 *   decide (matchValues gives stages with their kind).
 */
export function normalizeRows(
  csv: ParsedCsv,
  entity: ImportEntity,
  mapping: Record<string, TargetField | null>,
  options: { dateFormats?: Record<string, DateFormat> } = {},
): { rows: NormalizedRow[]; dateFormats: Record<string, DateFormat>; ambiguousDateColumns: string[] } {
  const columns = new Map<TargetField, Column[]>();
  csv.headers.forEach((header, index) => {
    const field = mapping[header];
    if (!field || !isTargetField(entity, field)) return;
    const list = columns.get(field);
    if (list) list.push({ index, header });
    else columns.set(field, [{ index, header }]);
  });

  const dateFormats: Record<string, DateFormat> = {};
  const ambiguousDateColumns: string[] = [];
  for (const field of DATE_FIELDS) {
    for (const { index, header } of columns.get(field) ?? []) {
      const given = options.dateFormats?.[header];
      if (given) {
        dateFormats[header] = given;
        continue;
      }
      const detected = detectDateFormat(csv.rows.map((row) => row[index] ?? ''));
      if (detected.format) dateFormats[header] = detected.format;
      if (detected.ambiguous) ambiguousDateColumns.push(header);
    }
  }

  const fileWarnings = new Map<number, ParsedCsv['warnings']>();
  for (const warning of csv.warnings) {
    const list = fileWarnings.get(warning.rowNumber);
    if (list) list.push(warning);
    else fileWarnings.set(warning.rowNumber, [warning]);
  }

  const required = REQUIRED_FIELD[entity];
  const requiredColumn = columns.get(required)?.[0]?.header ?? required;
  const closedColumn = columns.get('closedAt')?.[0]?.header ?? columns.get('expectedCloseDate')?.[0]?.header ?? '';
  const plan = [...columns.entries()].map(([field, fieldColumns]) => ({ field, columns: fieldColumns, read: readerFor(field, entity, fieldColumns, dateFormats) }));
  const rows: NormalizedRow[] = new Array(csv.rows.length);

  for (let r = 0; r < csv.rows.length; r++) {
    const cells = csv.rows[r]!;
    const row: NormalizedRow = { rowNumber: csv.rowNumbers[r]!, values: {}, issues: [] };
    for (const step of plan) step.read(cells, row);

    const values = row.values;
    if ((values.status === 'won' || values.status === 'lost') && !values.closedAt && values.expectedCloseDate) {
      values.closedAt = values.expectedCloseDate;
    }
    if (values.createdAt && values.closedAt && values.closedAt < values.createdAt) {
      addIssue(row, closedColumn, values.closedAt, 'warning', 'closed_before_created', `Closed on ${values.closedAt}, before it was created (${values.createdAt}).`);
    }
    if (!values[required]) addIssue(row, requiredColumn, '', 'error', 'required', `The ${required} is missing; the row cannot be imported without it.`);
    for (const warning of fileWarnings.get(row.rowNumber) ?? []) {
      row.issues.push({ rowNumber: row.rowNumber, column: '', value: '', reason: warning.reason, severity: 'warning', code: warning.code });
    }
    rows[r] = row;
  }
  return { rows, dateFormats, ambiguousDateColumns };
}

type Reader = (cells: string[], row: NormalizedRow) => void;

function addIssue(row: NormalizedRow, column: string, value: string, severity: RowIssue['severity'], code: IssueCode, reason: string) {
  const shown = value.length > ISSUE_VALUE_MAX ? `${value.slice(0, ISSUE_VALUE_MAX)}…` : value;
  row.issues.push({ rowNumber: row.rowNumber, column, value: shown, reason, severity, code });
}

function setValue(row: NormalizedRow, field: keyof NormalizedValues, value: NormalizedValues[keyof NormalizedValues]) {
  (row.values as Record<string, unknown>)[field] = value;
}

// Each field's reader is chosen once per file, not per cell. Columns repeat the same few values (stages,
// statuses, dates), so parsed values are remembered per column.
function readerFor(field: TargetField, entity: ImportEntity, columns: Column[], dateFormats: Record<string, DateFormat>): Reader {
  // The first non-empty (trimmed) cell among the field's columns is the value.
  const single = (read: (raw: string, column: Column, row: NormalizedRow) => void): Reader => (cells, row) => {
    for (const column of columns) {
      const raw = (cells[column.index] ?? '').trim();
      if (raw !== '') return read(raw, column, row);
    }
  };

  if (field === 'status') {
    const words = memo((raw: string) => statusWord(raw));
    return (cells, row) => {
      const status = combineStatus(columns, cells, words);
      if (status.value) row.values.status = status.value;
      else if (status.unreadable) {
        const { header, raw } = status.unreadable;
        addIssue(row, header, raw, 'warning', 'invalid_status', `“${raw}” is not a status; use open, won or lost (进行中, 赢单, 输单).`);
      }
    };
  }
  if (field === 'name' && entity === 'contacts' && columns.length > 1) {
    return (cells, row) => {
      const parts: string[] = [];
      for (const column of columns) {
        const part = (cells[column.index] ?? '').trim();
        if (part !== '') parts.push(part);
      }
      if (parts.length) readText('name', joinNameParts(parts), columns[0]!, row);
    };
  }
  if ((DATE_FIELDS as readonly string[]).includes(field)) {
    const parsers = new Map(columns.map((c) => [c.header, memo((raw: string) => (dateFormats[c.header] ? parseDate(raw, dateFormats[c.header]!) : null))]));
    return single((raw, column, row) => {
      const date = parsers.get(column.header)!(raw);
      if (date) {
        setValue(row, field as DateField, date);
        return;
      }
      const format = dateFormats[column.header];
      const reason = format ? `“${raw}” in ${column.header} is not a date in the format ${format}; left empty.` : `${column.header} holds no recognizable dates; left empty.`;
      addIssue(row, column.header, raw, 'warning', 'invalid_date', reason);
    });
  }
  if (field === 'amount') {
    const tenThousands = new Set(columns.filter((c) => inTenThousands(c.header)).map((c) => c.header));
    return single((raw, column, row) => {
      let amount = parseAmount(raw);
      if (amount === undefined) return addIssue(row, column.header, raw, 'warning', 'invalid_amount', `“${raw}” is not an amount; left empty.`);
      if (amount === null) return;
      if (tenThousands.has(column.header) && !/[万亿]/.test(raw)) amount *= 10_000;
      if (amount < 0) addIssue(row, column.header, raw, 'warning', 'negative_amount', `“${raw}” is negative; amounts cannot be; left empty.`);
      else if (amount > MAX_AMOUNT || !Number.isSafeInteger(amount)) addIssue(row, column.header, raw, 'warning', 'amount_too_large', `“${raw}” is too large an amount; left empty.`);
      else row.values.amount = amount;
    });
  }
  if (field === 'isKey') {
    return single((raw, column, row) => {
      const flag = parseYesNo(raw);
      if (flag === undefined) addIssue(row, column.header, raw, 'warning', 'invalid_boolean', `“${raw}” is not yes or no; left empty.`);
      else row.values.isKey = flag;
    });
  }
  if (field === 'email') {
    return single((raw, column, row) => {
      if (EMAIL.test(raw) && raw.length <= FIELD_MAX_LENGTH.email!) row.values.email = raw;
      else addIssue(row, column.header, raw, 'warning', 'invalid_email', `“${raw}” is not an e-mail address; left empty.`);
    });
  }
  return single((raw, column, row) => readText(field, raw, column, row));
}

function readText(field: TargetField, raw: string, column: Column, row: NormalizedRow) {
  const max = FIELD_MAX_LENGTH[field] ?? 5000;
  if (raw.length <= max) {
    setValue(row, field as keyof NormalizedValues, raw);
  } else if (field === 'externalId') {
    addIssue(row, column.header, raw, 'error', 'too_long', `The external id is longer than ${max} characters.`);
  } else {
    setValue(row, field as keyof NormalizedValues, raw.slice(0, max).trimEnd());
    addIssue(row, column.header, raw, 'warning', 'too_long', `Longer than ${max} characters; cut to fit.`);
  }
}

// Remembers up to MEMO_SIZE distinct inputs; beyond that (a column of unique values) it just computes.
const MEMO_SIZE = 10_000;
function memo<T>(compute: (raw: string) => T): (raw: string) => T {
  const cache = new Map<string, T>();
  return (raw) => {
    const hit = cache.get(raw);
    if (hit !== undefined || cache.has(raw)) return hit as T;
    const value = compute(raw);
    if (cache.size < MEMO_SIZE) cache.set(raw, value);
    return value;
  };
}

function inTenThousands(header: string): boolean {
  const key = canonical(header);
  return key.includes('万元') || key.endsWith('万');
}

// Latin names joined with a space ("Ada Lovelace"); Chinese ones without (姓 "王" + 名 "小明" → "王小明").
function joinNameParts(parts: string[]): string {
  return parts.every((p) => /^[\p{Script=Han}]+$/u.test(p)) ? parts.join('') : parts.join(' ');
}

function parseYesNo(raw: string): boolean | undefined {
  const word = raw.normalize('NFKC').trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

type StatusWord = 'open' | 'won' | 'lost' | boolean | undefined;

function statusWord(raw: string): StatusWord {
  const key = canonical(raw);
  if (WON_WORDS.has(key)) return 'won';
  if (LOST_WORDS.has(key)) return 'lost';
  if (OPEN_WORDS.has(key)) return 'open';
  return parseYesNo(raw);
}

function combineStatus(
  columns: Column[],
  cells: string[],
  words: (raw: string) => StatusWord,
): { value?: 'open' | 'won' | 'lost'; unreadable?: { header: string; raw: string } } {
  let text: 'open' | 'won' | 'lost' | undefined;
  let won: boolean | undefined;
  let closed: boolean | undefined;
  let unreadable: { header: string; raw: string } | undefined;
  for (const { index, header } of columns) {
    const raw = (cells[index] ?? '').trim();
    if (raw === '') continue;
    const word = words(raw);
    if (typeof word === 'string') text ??= word;
    else if (word !== undefined && WON_HEADER.test(header)) won ??= word;
    else if (word !== undefined && CLOSED_HEADER.test(header)) closed ??= word;
    else unreadable ??= { header, raw };
  }
  const value = text ?? (won === true ? 'won' : closed === false ? 'open' : closed === true && won === false ? 'lost' : undefined);
  return value ? { value } : { unreadable };
}

// Yes/no status columns say what they flag in their header: "Won", "IsWon", "Is Closed Won", "是否赢单";
// "Closed", "IsClosed", "Is Deal Closed?", "是否关闭".
const WON_HEADER = /won|赢|成交/i;
const CLOSED_HEADER = /close|关闭|结束/i;
