// Bytes → a table of strings: encoding and delimiter detection, then papaparse for the quoting rules.
import Papa from 'papaparse';

const GUARDED_FORMULA = /^'[=+\-@\t\r]/;

export type CsvEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'gb18030' | 'windows-1252';
export type CsvDelimiter = ',' | ';' | '\t';
export const CSV_ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'gb18030', 'windows-1252'] as const satisfies readonly CsvEncoding[];
export const CSV_DELIMITERS = [',', ';', '\t'] as const satisfies readonly CsvDelimiter[];

// Measured: an 8.4 MB file of 50,000 rows × 15 columns holds ~29 MB of heap once parsed (one string per
// cell) and ~13 MB more once normalized, about 5× the file. 16 MB files (50,000 rows with long notes)
// then peak near 100 MB with the bytes themselves, inside a Worker's 128 MB.
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
// HubSpot exports "all properties" with a few hundred columns; more than this is not a table of records.
export const MAX_COLUMNS = 500;

export type ImportFileErrorCode = 'empty' | 'no_header' | 'too_many_columns' | 'undecodable' | 'too_large';

/** The file as a whole cannot be read; `message` says why in words a user can act on. */
export class ImportFileError extends Error {
  readonly code: ImportFileErrorCode;
  constructor(code: ImportFileErrorCode, message: string) {
    super(message);
    this.name = 'ImportFileError';
    this.code = code;
  }
}

export type CsvWarningCode = 'ragged_row' | 'malformed_quotes';

export interface ParsedCsv {
  encoding: CsvEncoding;
  bom: boolean;
  delimiter: CsvDelimiter;
  /** Trimmed; duplicates made unique ("Name", "Name (2)"); blank ones named "Column 3". */
  headers: string[];
  /** Data rows, each padded/truncated to headers.length. Blank lines are left out. */
  rows: string[][];
  /** 1-based line of the file where each data row starts (the header is line 1). */
  rowNumbers: number[];
  warnings: { rowNumber: number; reason: string; code: CsvWarningCode }[];
}

export function parseCsv(bytes: Uint8Array, options: { encoding?: CsvEncoding; delimiter?: CsvDelimiter } = {}): ParsedCsv {
  if (bytes.length > MAX_FILE_BYTES) {
    throw new ImportFileError('too_large', `The file is ${megabytes(bytes.length)} MB; the limit is ${megabytes(MAX_FILE_BYTES)} MB. Split it into several files.`);
  }
  if (bytes.length === 0) throw new ImportFileError('empty', 'The file is empty.');
  const { encoding, bom, text } = decode(bytes, options.encoding);

  let body = text;
  let delimiter = options.delimiter;
  let firstLine = 1;
  // Excel writes (and reads) a first line "sep=;" naming the delimiter.
  const hint = /^sep=(.)[ \t]*(?:\r\n|\n|\r|$)/i.exec(body);
  if (hint) {
    if (!delimiter && isDelimiter(hint[1]!)) delimiter = hint[1];
    body = body.slice(hint[0].length);
    firstLine = 2;
  }
  if (!/\S/.test(body)) throw new ImportFileError('empty', 'The file has no rows.');
  delimiter ??= detectDelimiter(body);

  let headers: string[] | null = null;
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  const warnings: ParsedCsv['warnings'] = [];
  let breakChar = '\n';
  let rowStart = 0; // offset in `body` where the current row begins
  let counted = 0; // line breaks before `counted` are already in `line`
  let line = firstLine;
  let tooWide = 0;

  Papa.parse<string[]>(body, {
    delimiter,
    skipEmptyLines: false,
    step(result, parser) {
      const fields = result.data;
      // Line numbers: count the breaks between the previous row's start and this one's, so a quoted
      // field spanning lines moves the next row's number on. Total work stays linear in the file.
      if (counted === 0 && rowStart === 0) breakChar = result.meta.linebreak === '\r' ? '\r' : '\n';
      line += countOccurrences(body, breakChar, counted, rowStart);
      counted = rowStart;
      const rowNumber = line;
      rowStart = result.meta.cursor;

      for (const error of result.errors) {
        warnings.push({ rowNumber, reason: `Malformed quotes: ${error.message}`, code: 'malformed_quotes' });
      }
      if (isBlank(fields)) return;
      // A file with "\n" breaks can still carry a stray "\r\n" (rows pasted from elsewhere).
      const last = fields.length - 1;
      if (breakChar === '\n' && fields[last]!.endsWith('\r')) fields[last] = fields[last]!.slice(0, -1);

      if (!headers) {
        if (fields.length > MAX_COLUMNS) {
          tooWide = fields.length;
          parser.abort();
          return;
        }
        headers = headerNames(fields);
        return;
      }
      const width = headers.length;
      if (fields.length < width) {
        warnings.push({ rowNumber, reason: `The row has ${fields.length} of ${width} fields; the missing ones are empty.`, code: 'ragged_row' });
        for (let i = fields.length; i < width; i++) fields.push('');
      } else if (fields.length > width) {
        let extra = false;
        for (let i = width; i < fields.length; i++) if (fields[i]!.trim() !== '') extra = true;
        // Trailing empty fields ("a,b,c,,") are what spreadsheets write for formatted blank cells.
        if (extra) warnings.push({ rowNumber, reason: `The row has ${fields.length} fields but the header has ${width}; the extra values are ignored.`, code: 'ragged_row' });
        fields.length = width;
      }
      // Spreadsheet exports (ours included, see services/export-files.ts) put an apostrophe before
      // a cell that would otherwise run as a formula: the value is what follows it.
      for (let i = 0; i < fields.length; i++) if (GUARDED_FORMULA.test(fields[i]!)) fields[i] = fields[i]!.slice(1);
      rows.push(fields);
      rowNumbers.push(rowNumber);
    },
  });

  if (tooWide) throw new ImportFileError('too_many_columns', `The header has ${tooWide} columns; at most ${MAX_COLUMNS} can be imported.`);
  if (!headers) throw new ImportFileError('empty', 'The file has no rows.');
  if (rows.length === 0) throw new ImportFileError('empty', 'The file has a header but no data rows.');
  return { encoding, bom, delimiter, headers, rows, rowNumbers, warnings };
}

function headerNames(fields: string[]): string[] {
  const names = fields.map((f) => f.replace(/^\uFEFF/, '').trim());
  // Spreadsheets save formatted but empty cells right of the table as trailing empty header cells.
  while (names.length > 1 && names[names.length - 1] === '') names.pop();
  if (names.every((n) => n === '' || /^[-+]?[\d.,\s]+$/.test(n))) {
    throw new ImportFileError('no_header', 'The first row holds no column names. Add a header row naming each column.');
  }
  const used = new Set<string>();
  const seen = new Map<string, number>();
  const unique = names.map((name, i) => (name === '' ? `Column ${i + 1}` : name));
  for (const name of unique) used.add(name);
  return unique.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    if (count === 1) return name;
    let n = count;
    let candidate = `${name} (${n})`;
    while (used.has(candidate)) candidate = `${name} (${++n})`;
    used.add(candidate);
    return candidate;
  });
}

function isBlank(fields: string[]): boolean {
  for (const field of fields) if (field.trim() !== '') return false;
  return true;
}

function isDelimiter(value: string): value is CsvDelimiter {
  return (CSV_DELIMITERS as readonly string[]).includes(value);
}

function countOccurrences(text: string, char: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf(char, from); i !== -1 && i < to; i = text.indexOf(char, i + 1)) n++;
  return n;
}

function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '');
}

// ---------- delimiter ----------

// The delimiter whose first rows are all as wide as the header wins; among equally consistent ones,
// the widest. papaparse's own guesser also considers "|" and control characters and prefers whichever
// it tries first on ties, which misreads semicolon files whose amounts are written "1.234,56".
function detectDelimiter(text: string): CsvDelimiter {
  const SAMPLE = 64 * 1024;
  const sample = text.length > SAMPLE ? text.slice(0, SAMPLE) : text;
  let best: CsvDelimiter = ',';
  let bestScore = -1;
  for (const delimiter of CSV_DELIMITERS) {
    const rows = Papa.parse<string[]>(sample, { delimiter, preview: 30 }).data.filter((r) => !isBlank(r));
    if (sample.length < text.length && rows.length > 1) rows.pop(); // cut off mid-row
    const width = rows[0]?.length ?? 0;
    if (width < 2) continue;
    const consistent = rows.filter((r) => r.length === width).length / rows.length;
    const score = consistent * 10_000 + width;
    if (score > bestScore) {
      best = delimiter;
      bestScore = score;
    }
  }
  return best;
}

// ---------- encoding ----------

const BOMS: { encoding: CsvEncoding; bytes: number[] }[] = [
  { encoding: 'utf-8', bytes: [0xef, 0xbb, 0xbf] },
  { encoding: 'utf-16le', bytes: [0xff, 0xfe] },
  { encoding: 'utf-16be', bytes: [0xfe, 0xff] },
];

function decode(bytes: Uint8Array, forced: CsvEncoding | undefined): { encoding: CsvEncoding; bom: boolean; text: string } {
  const bom = BOMS.find((b) => b.bytes.every((byte, i) => bytes[i] === byte));
  const afterBom = bom ? bytes.subarray(bom.bytes.length) : bytes;
  if (forced) return { encoding: forced, bom: Boolean(bom), text: decodeAs(forced, afterBom, true) };
  if (bom) return { encoding: bom.encoding, bom: true, text: decodeAs(bom.encoding, afterBom, true) };

  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0])) {
    throw new ImportFileError('undecodable', 'This is an Excel workbook, not a CSV file. In Excel, use “Save as” → “CSV UTF-8”.');
  }
  const utf16 = sniffUtf16(bytes);
  if (utf16) return { encoding: utf16, bom: false, text: decodeAs(utf16, bytes, true) };
  if (bytes.subarray(0, 8192).includes(0)) {
    throw new ImportFileError('undecodable', 'The file holds binary data, not text. Upload a CSV file.');
  }
  try {
    return { encoding: 'utf-8', bom: false, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    // A UTF-8 file with a few stray bytes (a cell pasted from a legacy program) is still UTF-8: read it
    // so, the stray bytes becoming �, rather than garbling every other character as a code page would.
    if (mostlyUtf8(bytes)) return { encoding: 'utf-8', bom: false, text: new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(bytes) };
    // Not UTF-8: a legacy code page. Chinese Excel saves GBK (read as GB18030, its superset); European
    // Excel saves Windows-1252. Chinese text puts its non-ASCII bytes in runs of whole pairs; Western
    // text mostly has single accented letters between ASCII ones, so odd-length runs give it away.
    const encoding = looksLikeSingleByteText(bytes) ? 'windows-1252' : 'gb18030';
    if (encoding === 'gb18030') {
      try {
        return { encoding, bom: false, text: decodeAs(encoding, bytes, true) };
      } catch {
        // Not valid GB18030 either; Windows-1252 decodes every byte.
      }
    }
    return { encoding: 'windows-1252', bom: false, text: decodeAs('windows-1252', bytes, false) };
  }
}

function decodeAs(encoding: CsvEncoding, bytes: Uint8Array, fatal: boolean): string {
  try {
    return new TextDecoder(encoding, { fatal, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new ImportFileError('undecodable', `The file is not valid ${encoding.toUpperCase()} text. Choose another encoding, or save the file as “CSV UTF-8”.`);
  }
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}

// UTF-16 without a byte-order mark: ASCII characters leave every other byte zero.
function sniffUtf16(bytes: Uint8Array): CsvEncoding | null {
  const n = Math.min(bytes.length, 4096) & ~1;
  if (n < 4) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZeros++;
    if (bytes[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (oddZeros > pairs * 0.3 && evenZeros < pairs * 0.05) return 'utf-16le';
  if (evenZeros > pairs * 0.3 && oddZeros < pairs * 0.05) return 'utf-16be';
  return null;
}

// Valid UTF-8 multi-byte sequences outnumber invalid bytes ten to one. GBK or Windows-1252 text forms a
// valid sequence only by chance, far less often than it breaks one.
function mostlyUtf8(bytes: Uint8Array): boolean {
  let valid = 0;
  let invalid = 0;
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    let ok = length > 0 && i + length <= bytes.length;
    for (let k = 1; ok && k < length; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) ok = false;
    if (ok) {
      valid++;
      i += length;
    } else {
      invalid++;
      i++;
    }
  }
  return valid > 0 && valid >= 10 * invalid;
}

function looksLikeSingleByteText(bytes: Uint8Array): boolean {
  let runs = 0;
  let oddRuns = 0;
  let run = 0;
  const limit = Math.min(bytes.length, 1024 * 1024);
  for (let i = 0; i <= limit; i++) {
    if (i < limit && bytes[i]! >= 0x80) {
      run++;
    } else if (run > 0) {
      runs++;
      if (run % 2 === 1) oddRuns++;
      run = 0;
    }
  }
  return runs > 0 && oddRuns / runs > 0.2;
}
