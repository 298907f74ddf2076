// A report table is defined once and serves both the on-screen <table> and its CSV: each column
// says how to show a row (formatted, in the UI language) and what to write to the file (plain
// numbers a spreadsheet can sum).
import { toCsv, type CsvValue } from './csv';

export interface ReportColumn<Row> {
	label: string;
	cell: (row: Row) => string;
	csv?: (row: Row) => CsvValue;
	/** Right-aligned, tabular figures. */
	numeric?: boolean;
}

export interface TableView {
	caption: string;
	fileName: string;
	headers: string[];
	numeric: boolean[];
	rows: string[][];
	csv: CsvValue[][];
}

export function reportTable<Row>(caption: string, fileName: string, columns: ReportColumn<Row>[], rows: Row[]): TableView {
	return {
		caption,
		fileName,
		headers: columns.map((column) => column.label),
		numeric: columns.map((column) => column.numeric ?? false),
		rows: rows.map((row) => columns.map((column) => column.cell(row))),
		csv: rows.map((row) => columns.map((column) => (column.csv ? column.csv(row) : column.cell(row)))),
	};
}

export function tableCsv(table: TableView): string {
	return toCsv(table.headers, table.csv);
}
