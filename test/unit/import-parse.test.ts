// The import's CSV reading: encodings, delimiters, quoting, line numbers and unreadable files.
import { describe, expect, it } from 'vitest';
import { ImportFileError, MAX_COLUMNS, MAX_FILE_BYTES, parseCsv } from '../../worker/services/import';
import { GBK, gbk } from '../helpers/gbk';

const utf8 = (text: string) => new TextEncoder().encode(text);
const withBom = (bom: number[], body: Uint8Array) => new Uint8Array([...bom, ...body]);

function utf16le(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    bytes[i * 2] = text.charCodeAt(i) & 0xff;
    bytes[i * 2 + 1] = text.charCodeAt(i) >> 8;
  }
  return bytes;
}

describe('encodings', () => {
  it('has the right GBK bytes for each test word', () => {
    for (const [word, bytes] of Object.entries(GBK)) expect(new TextDecoder('gb18030').decode(new Uint8Array(bytes))).toBe(word);
  });

  it('reads UTF-8 without a byte-order mark', () => {
    const csv = parseCsv(utf8('Title,Amount\n中文 deal,100\n'));
    expect(csv).toMatchObject({ encoding: 'utf-8', bom: false, headers: ['Title', 'Amount'], rows: [['中文 deal', '100']] });
  });

  it('reads UTF-8 with a byte-order mark, which does not end up in the first header', () => {
    const csv = parseCsv(withBom([0xef, 0xbb, 0xbf], utf8('Title,Amount\nA,1\n')));
    expect(csv.encoding).toBe('utf-8');
    expect(csv.bom).toBe(true);
    expect(csv.headers[0]).toBe('Title');
  });

  it('reads UTF-16LE with a byte-order mark (Excel “Unicode text”, tab-separated)', () => {
    const csv = parseCsv(withBom([0xff, 0xfe], utf16le('商机名称\t金额\r\n华为项目\t5000\r\n')));
    expect(csv).toMatchObject({ encoding: 'utf-16le', bom: true, delimiter: '\t', headers: ['商机名称', '金额'], rows: [['华为项目', '5000']] });
  });

  it('reads UTF-16LE without a byte-order mark by its zero bytes', () => {
    const csv = parseCsv(utf16le('Title;Amount\nA;1\n'));
    expect(csv.encoding).toBe('utf-16le');
    expect(csv.rows).toEqual([['A', '1']]);
  });

  it('reads UTF-16BE with a byte-order mark', () => {
    const le = utf16le('Title,Stage\nA,赢单\n');
    const be = new Uint8Array(le.length);
    for (let i = 0; i < le.length; i += 2) [be[i], be[i + 1]] = [le[i + 1]!, le[i]!];
    const csv = parseCsv(withBom([0xfe, 0xff], be));
    expect(csv.encoding).toBe('utf-16be');
    expect(csv.rows).toEqual([['A', '赢单']]);
  });

  it('reads GBK as Chinese Excel saves it (decoded as GB18030)', () => {
    const csv = parseCsv(gbk('商机名称,客户,金额,阶段,备注\r\n中文 deal,华为,5000,赢单,张三\r\nB,华为,100,输单,\r\n'));
    expect(csv.encoding).toBe('gb18030');
    expect(csv.bom).toBe(false);
    expect(csv.headers).toEqual(['商机名称', '客户', '金额', '阶段', '备注']);
    expect(csv.rows).toEqual([
      ['中文 deal', '华为', '5000', '赢单', '张三'],
      ['B', '华为', '100', '输单', ''],
    ]);
  });

  it('reads Windows-1252 as European Excel saves it, not as Chinese', () => {
    // "Name;Stadt;Betrag\nMüller GmbH;Köln;1.234,56 €" in Windows-1252: ü fc, ö f6, € 80.
    const text = 'Name;Stadt;Betrag\nM\u00fcller GmbH;K\u00f6ln;1.234,56 \u20ac\n';
    const bytes = new Uint8Array([...text].map((c) => (c === '\u20ac' ? 0x80 : c.charCodeAt(0))));
    const csv = parseCsv(bytes);
    expect(csv.encoding).toBe('windows-1252');
    expect(csv.delimiter).toBe(';');
    expect(csv.rows).toEqual([['Müller GmbH', 'Köln', '1.234,56 €']]);
  });

  it('reads a UTF-8 file with a stray byte as UTF-8, not as a code page', () => {
    const bytes = new Uint8Array([...utf8('商机名称,客户\n华为项目,华为\n中文,Caf'), 0xe9, ...utf8('\n')]);
    const csv = parseCsv(bytes);
    expect(csv.encoding).toBe('utf-8');
    expect(csv.rows).toEqual([['华为项目', '华为'], ['中文', 'Caf\ufffd']]);
  });

  it('decodes with the encoding the caller chooses', () => {
    const csv = parseCsv(gbk('客户,金额\n华为,1\n'), { encoding: 'gb18030' });
    expect(csv.rows).toEqual([['华为', '1']]);
    expect(() => parseCsv(gbk('客户,金额\n华为,1\n'), { encoding: 'utf-8' })).toThrow(ImportFileError);
  });
});

describe('delimiters and quoting', () => {
  it.each([
    [',', 'Title,Account,Amount\nA,Acme,1\nB,Beta,2\n'],
    [';', 'Title;Account;Amount\nA;Acme;1,5\nB;Beta;2.000,00\n'],
    ['\t', 'Title\tAccount\tAmount\nA, Inc.\tAcme; Ltd\t1\nB\tBeta\t2\n'],
  ])('detects %j as the delimiter', (delimiter, text) => {
    const csv = parseCsv(utf8(text));
    expect(csv.delimiter).toBe(delimiter);
    expect(csv.headers).toEqual(['Title', 'Account', 'Amount']);
    expect(csv.rows).toHaveLength(2);
  });

  it('prefers the delimiter whose rows keep the header’s width over one that merely appears more', () => {
    // Commas inside amounts, semicolons between fields: the comma split gives 1, 3 and 2 fields.
    const csv = parseCsv(utf8('Title;Amount\nA;1,5\nB;"2,5"\nC;7\n'));
    expect(csv.delimiter).toBe(';');
    expect(csv.rows).toEqual([['A', '1,5'], ['B', '2,5'], ['C', '7']]);
  });

  it('follows Excel’s “sep=” first line and counts it as line 1', () => {
    const csv = parseCsv(utf8('sep=;\r\nTitle;Amount\r\nA;1\r\n'));
    expect(csv.delimiter).toBe(';');
    expect(csv.headers).toEqual(['Title', 'Amount']);
    expect(csv.rowNumbers).toEqual([3]);
  });

  it('uses the delimiter the caller chooses', () => {
    const csv = parseCsv(utf8('a;b,c\n1;2,3\n'), { delimiter: ';' });
    expect(csv.headers).toEqual(['a', 'b,c']);
  });

  it('takes off the apostrophe a spreadsheet export puts before formula-like text, and only there', () => {
    const csv = parseCsv(utf8("Title,Needs,Notes\r\n'=SUM(A1),'+1 idea,'@home\r\nit's fine,'quoted',-5\r\n"));
    expect(csv.rows).toEqual([['=SUM(A1)', '+1 idea', '@home'], ["it's fine", "'quoted'", '-5']]);
  });

  it('keeps embedded newlines, quotes and delimiters inside quoted fields', () => {
    const csv = parseCsv(utf8('Title,Notes,Amount\r\n"Deal, big","He said ""yes""\r\nthen left\nagain",5\r\nB,plain,6\r\n'));
    expect(csv.rows).toEqual([
      ['Deal, big', 'He said "yes"\r\nthen left\nagain', '5'],
      ['B', 'plain', '6'],
    ]);
  });

  it('numbers rows by the line they start on when a quoted field spans lines', () => {
    const csv = parseCsv(utf8('Title,Notes\nA,"one\ntwo\nthree"\nB,x\n\nC,"y\r\nz"\nD,w'));
    expect(csv.rows.map((r) => r[0])).toEqual(['A', 'B', 'C', 'D']);
    expect(csv.rowNumbers).toEqual([2, 5, 7, 9]);
  });

  it('reads CRLF and LF files alike', () => {
    const lf = parseCsv(utf8('Title,Amount\nA,1\nB,2\n'));
    const crlf = parseCsv(utf8('Title,Amount\r\nA,1\r\nB,2\r\n'));
    expect(crlf.rows).toEqual(lf.rows);
    expect(crlf.rowNumbers).toEqual([2, 3]);
  });

  it('reads old Mac files whose lines end in CR alone', () => {
    const csv = parseCsv(utf8('Title,Notes\rA,"x\ry"\rB,z\r'));
    expect(csv.rows).toEqual([['A', 'x\ry'], ['B', 'z']]);
    expect(csv.rowNumbers).toEqual([2, 4]);
  });

  it('drops a stray carriage return at the end of a row in an LF file', () => {
    const csv = parseCsv(utf8('Title,Amount\nA,1\r\nB,2\n'));
    expect(csv.rows).toEqual([['A', '1'], ['B', '2']]);
  });

  it('skips trailing and interior blank lines, including rows of empty cells', () => {
    const csv = parseCsv(utf8('Title,Amount\nA,1\n\n,,\nB,2\n\n\n  \n'));
    expect(csv.rows).toEqual([['A', '1'], ['B', '2']]);
    expect(csv.rowNumbers).toEqual([2, 5]);
    expect(csv.warnings).toEqual([]);
  });

  it('pads short rows and cuts long ones, with a warning for each that loses or lacks data', () => {
    const csv = parseCsv(utf8('Title,Account,Amount\nA,Acme\nB,Beta,2,surprise\nC,Gamma,3,,\n'));
    expect(csv.rows).toEqual([['A', 'Acme', ''], ['B', 'Beta', '2'], ['C', 'Gamma', '3']]);
    expect(csv.warnings).toEqual([
      { rowNumber: 2, code: 'ragged_row', reason: expect.stringContaining('2 of 3') },
      { rowNumber: 3, code: 'ragged_row', reason: expect.stringContaining('extra values are ignored') },
    ]);
  });

  it('warns about a quote that never closes', () => {
    const csv = parseCsv(utf8('Title,Notes\nA,"open\nB,x\n'));
    expect(csv.warnings.some((w) => w.code === 'malformed_quotes')).toBe(true);
  });
});

describe('headers', () => {
  it('trims header names and makes duplicates unique', () => {
    const csv = parseCsv(utf8(' Name ,Amount,Name,Name,Name (2)\n1,2,3,4,5\n'));
    expect(csv.headers).toEqual(['Name', 'Amount', 'Name (3)', 'Name (4)', 'Name (2)']);
  });

  it('names blank header cells by position and drops blank ones at the end', () => {
    const csv = parseCsv(utf8('Title,,Amount,,\nA,x,1,,\n'));
    expect(csv.headers).toEqual(['Title', 'Column 2', 'Amount']);
    expect(csv.rows).toEqual([['A', 'x', '1']]);
  });

  it('starts at the first non-blank line', () => {
    const csv = parseCsv(utf8('\n\nTitle,Amount\nA,1\n'));
    expect(csv.headers).toEqual(['Title', 'Amount']);
    expect(csv.rowNumbers).toEqual([4]);
  });
});

describe('files that cannot be imported', () => {
  const codeOf = (bytes: Uint8Array) => {
    try {
      parseCsv(bytes);
      return 'parsed';
    } catch (error) {
      expect(error).toBeInstanceOf(ImportFileError);
      return (error as ImportFileError).code;
    }
  };

  it('refuses an empty file', () => {
    expect(codeOf(new Uint8Array())).toBe('empty');
    expect(codeOf(utf8('\r\n\r\n  \n'))).toBe('empty');
    expect(codeOf(withBom([0xef, 0xbb, 0xbf], utf8('')))).toBe('empty');
  });

  it('refuses a file with a header and no data rows', () => {
    expect(codeOf(utf8('Title,Amount\n'))).toBe('empty');
    expect(codeOf(utf8('Title,Amount\n,\n\n'))).toBe('empty');
  });

  it('refuses a file whose first row is data, not names', () => {
    expect(codeOf(utf8('1,2,3\n4,5,6\n'))).toBe('no_header');
  });

  it('refuses an Excel workbook and other binary files', () => {
    expect(codeOf(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]))).toBe('undecodable');
    expect(codeOf(new Uint8Array([0x41, 0x2c, 0x42, 0x0a, 0x00, 0x01, 0x02, 0x03, 0x00, 0x05, 0xff, 0x00, 0x41]))).toBe('undecodable');
  });

  it('refuses too many columns', () => {
    const header = Array.from({ length: MAX_COLUMNS + 1 }, (_, i) => `c${i}`).join(',');
    expect(codeOf(utf8(`${header}\n1\n`))).toBe('too_many_columns');
  });

  it('refuses a file over the size limit before reading it', () => {
    expect(codeOf(new Uint8Array(MAX_FILE_BYTES + 1))).toBe('too_large');
  });
});
