// Money as spreadsheets write it → integer minor units (2 decimals).
//
// Exact decimal arithmetic on the digits (no floating point), so "0.29" is 29 and a value too large
// for a safe integer is refused (undefined) rather than rounded into a different number.
//
// Which separator is the decimal one: with both "." and ",", the last one ("1,234.56", "1.234,56");
// with one kind appearing several times, it groups thousands ("1.234.567"); a single "," followed by
// exactly three digits groups thousands ("12,345"), otherwise it is decimal ("12,5"); a single "." is
// always decimal ("1.234" = 1.23, as every CRM export writes numbers).

const START_CURRENCY = /^(?:rmb|cny|usd|eur|gbp|hkd|jpy|us\$|hk\$|人民币|美元|[¥$€£])\s*/;
const END_CURRENCY = /\s*(?:rmb|cny|usd|eur|gbp|hkd|jpy|元|人民币|美元|[¥$€£])$/;
const END_UNIT = /\s*(万|亿)$/;
const EMPTY = new Set(['', '-', '--', '—', '–', 'n/a', 'na', '/']);
const MAX_DIGITS = 30;
const ASCII = /^[\x20-\x7e]*$/;

export function parseAmount(value: string): number | null | undefined {
  // NFKC: full-width digits and signs (１２３, ￥) become ASCII; non-breaking spaces become spaces.
  // (Plain ASCII needs none of that, and most cells are plain ASCII.)
  let text = (ASCII.test(value) ? value : value.normalize('NFKC')).trim().toLowerCase().replace(/\u2212/g, '-');
  if (EMPTY.has(text)) return null;

  let negative = false;
  const parenthesized = /^\((.*)\)$/.exec(text);
  if (parenthesized) {
    negative = true;
    text = parenthesized[1]!.trim();
  }
  let sign = /^([-+])\s*/.exec(text);
  if (sign) text = text.slice(sign[0].length);
  text = text.replace(START_CURRENCY, '');
  if (!sign) {
    sign = /^([-+])\s*/.exec(text); // "¥-500"
    if (sign) text = text.slice(sign[0].length);
  }
  text = text.replace(END_CURRENCY, '');
  let shift = 0;
  const unit = END_UNIT.exec(text);
  if (unit) {
    shift = unit[1] === '万' ? 4 : 8;
    text = text.slice(0, unit.index);
  }
  if (!sign) {
    sign = /\s*([-+])$/.exec(text); // "500-" (accounting systems)
    if (sign) text = text.slice(0, sign.index);
  }
  if (sign?.[1] === '-') negative = !negative;
  text = text.replace(/[\s'’]/g, '');

  const decimal = splitDecimal(text);
  if (!decimal) return undefined;
  let { whole, fraction } = decimal;
  // Move the decimal point by the exponent (scientific notation, 万 = 10^4, 亿 = 10^8).
  shift += decimal.exponent;
  if (shift > 0) {
    const moved = fraction.padEnd(shift, '0');
    whole += moved.slice(0, shift);
    fraction = moved.slice(shift);
  } else if (shift < 0) {
    const padded = whole.padStart(-shift + 1, '0');
    fraction = padded.slice(shift) + fraction;
    whole = padded.slice(0, shift);
  }
  whole = whole.replace(/^0+(?=\d)/, '');
  if (whole.length > MAX_DIGITS) return undefined;

  let minor = BigInt(whole || '0') * 100n + BigInt(fraction.slice(0, 2).padEnd(2, '0'));
  if ((fraction[2] ?? '0') >= '5') minor += 1n; // half away from zero
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const amount = Number(minor);
  return negative && amount !== 0 ? -amount : amount;
}

function splitDecimal(text: string): { whole: string; fraction: string; exponent: number } | null {
  const scientific = /^(\d+)(?:\.(\d*))?e([-+]?\d{1,3})$/.exec(text);
  if (scientific) return { whole: scientific[1]!, fraction: scientific[2] ?? '', exponent: Number(scientific[3]) };
  if (!/^[\d.,]*\d[\d.,]*$/.test(text)) return null;

  const lastDot = text.lastIndexOf('.');
  const lastComma = text.lastIndexOf(',');
  let decimalAt = -1;
  if (lastDot !== -1 && lastComma !== -1) {
    decimalAt = Math.max(lastDot, lastComma);
  } else if (lastDot !== -1) {
    if (text.indexOf('.') === lastDot) decimalAt = lastDot;
  } else if (lastComma !== -1) {
    if (text.indexOf(',') === lastComma && text.length - lastComma - 1 !== 3) decimalAt = lastComma;
  }
  const wholePart = decimalAt === -1 ? text : text.slice(0, decimalAt);
  const fraction = decimalAt === -1 ? '' : text.slice(decimalAt + 1);
  if (!/^\d*$/.test(fraction)) return null;
  // Grouping separators sit between digits ("1,234,567", also Indian "12,34,567"), never doubled or at an end.
  if (wholePart !== '' && !/^\d+(?:[.,]\d+)*$/.test(wholePart)) return null;
  const separators = wholePart.replace(/\d/g, '');
  if (separators !== '' && separators !== separators[0]!.repeat(separators.length)) return null;
  if (decimalAt !== -1 && separators.includes(text[decimalAt]!)) return null;
  return { whole: wholePart.replace(/[.,]/g, ''), fraction, exponent: 0 };
}
