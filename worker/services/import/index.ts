// CSV import, the pure part: bytes → table → suggested mapping → typed rows with per-row issues.
//
// No I/O and no Node APIs: the same code runs in the Worker (the import routes and queue job) and in
// the browser (the mapping screen can preview a file before uploading it). The pipeline that stores
// files, matches values against the tenant's data and writes rows imports only from this file.
//
// The steps, in the order a caller uses them:
//   parseCsv(bytes)            encoding (BOM; valid UTF-8; else GB18030 or Windows-1252), delimiter
//                              (, ; tab, or Excel's "sep=" line), quoting via papaparse; header names
//                              made unique; every data row padded to the header's width; the line each
//                              row starts on (quoted fields may span lines). Throws ImportFileError only
//                              for a file that cannot be read at all (empty, header only, binary, too
//                              large, > MAX_COLUMNS columns).
//   suggestMapping(headers, e) header → target field, from English and Chinese names, and from the
//                              HubSpot / Pipedrive / Salesforce export presets detected from the headers.
//   normalizeRows(csv, e, map) typed values per row; date formats detected per column unless given;
//                              issues with row number, column, value, reason, severity and a stable code.
//                              The decisions it makes (what is an error, what a warning) are listed on
//                              the function in normalize.ts.
//   matchValues(values, existing)  file values → existing entries (stages, owners, products …).
//   parseDate / detectDateFormat / parseAmount / canonical are exported for callers and the UI.
//
// Additions to the interface first agreed for this module (all additive):
// - ParsedCsv.encoding may also be 'windows-1252': European Excel saves semicolon CSV in that code page,
//   and reading it as GB18030 would turn "Müller" into Chinese characters. CSV_ENCODINGS lists them all.
// - ParsedCsv.warnings entries carry a `code` ('ragged_row' | 'malformed_quotes').
// - RowIssue.code is typed IssueCode (the codes the UI translates); normalizeRows copies the file's
//   row warnings into the rows' issues, so a preview need show only row issues.
// - Several columns may map to one field (see normalizeRows); suggestMapping does so for preset
//   columns such as Pipedrive's "Won time" + "Lost time" → closedAt and for contacts' first/last name.
// - Also exported: TARGET_FIELDS' companions REQUIRED_FIELD, DATE_FIELDS, FIELD_MAX_LENGTH, DATE_FORMATS,
//   CSV_DELIMITERS, MAX_FILE_BYTES, MAX_COLUMNS, MAX_AMOUNT, detectPreset, and the won/lost/open words.

export { parseAmount } from './amounts';
export {
  CSV_DELIMITERS,
  CSV_ENCODINGS,
  type CsvDelimiter,
  type CsvEncoding,
  type CsvWarningCode,
  ImportFileError,
  type ImportFileErrorCode,
  MAX_COLUMNS,
  MAX_FILE_BYTES,
  type ParsedCsv,
  parseCsv,
} from './csv';
export { DATE_FORMATS, type DateFormat, detectDateFormat, parseDate } from './dates';
export {
  DATE_FIELDS,
  type DateField,
  FIELD_MAX_LENGTH,
  IMPORT_ENTITIES,
  type ImportEntity,
  REQUIRED_FIELD,
  TARGET_FIELDS,
  type TargetField,
  isTargetField,
} from './fields';
export { type ImportPreset, detectPreset, suggestMapping } from './mapping';
export { LOST_WORDS, type MatchEntry, OPEN_WORDS, type StageKind, type ValueMatch, WON_WORDS, canonical, matchValues } from './matching';
export { type IssueCode, MAX_AMOUNT, type NormalizedRow, type NormalizedValues, type RowIssue, normalizeRows } from './normalize';
