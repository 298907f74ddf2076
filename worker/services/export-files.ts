/**
 * Export files as streams of bytes: CSV (RFC 4180, UTF-8 with a BOM so Excel — Chinese Excel
 * included — opens it in the right encoding) and ZIP (fflate's streaming deflate, pure JS). Each
 * takes its rows page by page from an async iterable, so a 100,000-row file is never in memory.
 *
 * Spreadsheet formula injection: a text cell that starts with = + - @ tab or CR may run as a
 * formula when the file is opened in Excel (a contact named `=HYPERLINK(…)` typed into a web
 * form…). Such cells are written with a leading apostrophe, the usual defence (OWASP "CSV
 * injection"); `unguardCsvField` takes it off again, and importers of our files should apply it.
 * Exception: + or - followed only by digits, spaces and ( ) . , / - — phone numbers such as
 * "+86 138 0000 0000" — cannot name a function, a cell or a DDE link, so they stay as they are
 * (and import back unchanged). Numbers and booleans are written as they are.
 */
import { Zip, ZipDeflate } from 'fflate';

export type CsvCell = string | number | boolean | null;

export const UTF8_BOM = '\uFEFF';

const FORMULA_START = /^[=+\-@\t\r]/;
const INERT_SIGNED = /^[+-][\d\s().,/-]*$/;
const GUARDED = /^'[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

export function csvField(value: CsvCell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = FORMULA_START.test(value) && !INERT_SIGNED.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A parsed cell as it was before csvField guarded it against formula injection. */
export function unguardCsvField(text: string): string {
  return GUARDED.test(text) ? text.slice(1) : text;
}

export const csvLine = (cells: readonly CsvCell[]) => `${cells.map(csvField).join(',')}\r\n`;

/**
 * The CSV file as byte chunks: BOM and header come with the first page, so reading the first
 * chunk also proves the data can be read (a failure then is still an ordinary error response).
 */
export async function* csvChunks(header: readonly string[], pages: AsyncIterable<CsvCell[][]>): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  let pending: string | null = UTF8_BOM + csvLine(header);
  for await (const page of pages) {
    let text = pending ?? '';
    pending = null;
    for (const row of page) text += csvLine(row);
    yield encoder.encode(text);
  }
  if (pending !== null) yield encoder.encode(pending);
}

export interface ZipEntry {
  name: string;
  content: Uint8Array | AsyncIterable<Uint8Array>;
}

/** A ZIP of the entries, deflated, as byte chunks: one entry at a time, one input chunk at a time. */
export async function* zipChunks(entries: ZipEntry[], modified: Date = new Date()): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((error, chunk) => {
    if (error) failure = error;
    else out.push(chunk);
  });
  const flush = () => {
    if (failure) throw failure;
    return out.splice(0);
  };
  for (const entry of entries) {
    const file = new ZipDeflate(entry.name, { level: 6 });
    file.mtime = modified;
    zip.add(file);
    if (entry.content instanceof Uint8Array) {
      file.push(entry.content, true);
    } else {
      for await (const chunk of entry.content) {
        file.push(chunk);
        yield* flush();
      }
      file.push(new Uint8Array(0), true);
    }
    yield* flush();
  }
  zip.end();
  yield* flush();
}

/**
 * A response body pulling from `chunks` as the client reads (backpressure: one chunk ahead).
 * The first chunk is read before this returns, so an early failure is still a proper error
 * response; a later one ends the download early and is logged (the status has been sent).
 */
export async function responseStream(chunks: AsyncGenerator<Uint8Array>, onError: (error: unknown) => void): Promise<ReadableStream<Uint8Array>> {
  const first = await chunks.next();
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (first.done) controller.close();
        else controller.enqueue(first.value);
      },
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          onError(error);
          controller.error(error);
        }
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}
