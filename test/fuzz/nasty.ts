// Known nasty values: what attackers, buggy integrations and spreadsheets send. Used by the route
// fuzzer in place of (or inside) schema-shaped values.
const MB = 1024 * 1024;

export const NASTY_STRINGS: string[] = [
  '',
  ' ',
  "' OR '1'='1",
  "'; DROP TABLE opportunities; --",
  '" OR ""="',
  '1; select * from users',
  "Robert'); DELETE FROM tenants;--",
  '%',
  '_',
  '\\',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '{{7*7}}',
  '${7*7}',
  '__proto__',
  'constructor',
  '../../../../etc/passwd',
  '%00',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF\uD800',
  '\u202Eevil\u202C',
  '\u200B\u200C\u200D\uFEFF',
  '👨‍👩‍👧‍👦',
  '𠜎𠜱𠝹',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇',
  '机会 ' + '长'.repeat(300),
  '\r\n\r\nHTTP/1.1 200 OK',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '9007199254740993',
  '-9223372036854775809',
  '0x7fffffff',
  '2026-02-30',
  '2026-13-01T25:61:61Z',
  '0000-00-00',
  '9999-12-31T23:59:59.999Z',
  'a'.repeat(10_000),
  'x'.repeat(MB + 1),
];

export const NASTY_NUMBERS: number[] = [
  0, -0, -1, 1, 0.5, -0.5, 2 ** 31, -(2 ** 31), 2 ** 53, 2 ** 53 + 2, -(2 ** 53), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER,
  1e13, 1e15, 1e21, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, 1e-7,
];

/** JSON nested `depth` levels deep, as text (JSON.stringify would overflow the stack first at huge depths). */
export function deepJson(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

export function deepObject(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}
