// The reports page's CSV writer (web/src/lib/reports/csv.ts): RFC 4180 quoting and the UTF-8
// byte order mark Excel needs to read Chinese.
import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from '../../web/src/lib/reports/csv';

describe('reports CSV', () => {
  it('leaves plain fields alone and quotes those with a comma, quote or line break', () => {
    expect(csvField('华东区')).toBe('华东区');
    expect(csvField('Smith, Jones')).toBe('"Smith, Jones"');
    // A quote inside a field is doubled and the field quoted.
    expect(csvField('the "big" deal')).toBe('"the ""big"" deal"');
    expect(csvField('line 1\nline 2')).toBe('"line 1\nline 2"');
    expect(csvField('a\rb')).toBe('"a\rb"');
  });

  it('writes numbers as they are and missing values as empty fields', () => {
    expect(csvField(1234.5)).toBe('1234.5');
    expect(csvField(0)).toBe('0');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
  });

  it('starts with the byte order mark and ends every record with CRLF', () => {
    const csv = toCsv(['负责人', 'Open'], [['王芳', 3], ['Lee, Ann', null]]);
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv.slice(1)).toBe('负责人,Open\r\n王芳,3\r\n"Lee, Ann",\r\n');
  });
});
