// The import's cell readers: dates, amounts, and matching file values to existing entries.
import { describe, expect, it } from 'vitest';
import { canonical, detectDateFormat, matchValues, parseAmount, parseDate } from '../../worker/services/import';
import { editDistance } from '../../worker/services/import/matching';

describe('parseDate', () => {
  it.each([
    ['2024-03-05', 'iso', '2024-03-05'],
    ['2024-3-5', 'iso', '2024-03-05'],
    ['2024-03-05 14:30', 'iso', '2024-03-05'],
    ['2024-03-05 14:30:59', 'iso', '2024-03-05'],
    ['2024-03-05T14:30:00Z', 'iso', '2024-03-05'],
    ['2024-03-05T23:30:00.000+08:00', 'iso', '2024-03-05'],
    ['3/5/2024', 'M/D/YYYY', '2024-03-05'],
    ['12/31/2023 11:59 PM', 'M/D/YYYY', '2023-12-31'],
    ['3/5/2024, 2:30 PM', 'M/D/YYYY', '2024-03-05'],
    ['5/3/2024', 'D/M/YYYY', '2024-03-05'],
    ['31.12.2023', 'D/M/YYYY', '2023-12-31'],
    ['5/3/24', 'D/M/YY', '2024-03-05'],
    ['05-03-99', 'D/M/YY', '1999-03-05'],
    ['3/5/29', 'M/D/YY', '2029-03-05'],
    ['3/5/30', 'M/D/YY', '1930-03-05'],
    ['2024/3/5', 'YYYY/M/D', '2024-03-05'],
    ['2024/03/05 9:00', 'YYYY/M/D', '2024-03-05'],
    ['2024年3月5日', 'YYYY年M月D日', '2024-03-05'],
    ['2024年03月05日 14:30', 'YYYY年M月D日', '2024-03-05'],
    ['2024 年 3 月 5 日', 'YYYY年M月D日', '2024-03-05'],
    ['2024年3月5日 下午2:30', 'YYYY年M月D日', '2024-03-05'],
    ['45000', 'excel-serial', '2023-03-15'],
    ['45000.75', 'excel-serial', '2023-03-15'],
    ['1', 'excel-serial', '1900-01-01'],
    ['59', 'excel-serial', '1900-02-28'],
    ['61', 'excel-serial', '1900-03-01'],
    ['2024-02-29', 'iso', '2024-02-29'],
    // Year-first dates mean the same in any format, so a column may mix them.
    ['2024/3/5', 'iso', '2024-03-05'],
    ['2024-03-05', 'D/M/YY', '2024-03-05'],
    ['2024年3月5日', 'M/D/YYYY', '2024-03-05'],
  ] as const)('reads %j as %s → %s', (value, format, expected) => {
    expect(parseDate(value, format)).toBe(expected);
  });

  it.each([
    ['2023-02-30', 'iso'],
    ['2023-02-29', 'iso'],
    ['2024-13-01', 'iso'],
    ['13/13/2023', 'M/D/YYYY'],
    ['13/13/2023', 'D/M/YYYY'],
    ['2/30/2023', 'M/D/YYYY'],
    ['31/4/2023', 'D/M/YYYY'],
    ['60', 'excel-serial'], // 1900-02-29: Excel shows it, the calendar has no such day
    ['0', 'excel-serial'],
    ['-5', 'excel-serial'],
    ['45000', 'iso'], // a bare number is a date only in an excel-serial column
    ['3/5/2024', 'iso'], // day-and-month-first needs its order named
    ['soon', 'iso'],
    ['2024-03-05 garbage', 'iso'],
    ['', 'iso'],
    ['2024年2月30日', 'YYYY年M月D日'],
  ] as const)('refuses %j as %s', (value, format) => {
    expect(parseDate(value, format)).toBeNull();
  });
});

describe('detectDateFormat', () => {
  it.each([
    [['2024-03-05', '2024-03-06 10:00', ''], 'iso'],
    [['3/25/2024', '4/1/2024', '12/31/2023'], 'M/D/YYYY'],
    [['25/3/2024', '1/4/2024', '31/12/2023'], 'D/M/YYYY'],
    [['25/3/24', '1/4/24'], 'D/M/YY'],
    [['3/25/24', '4/1/24'], 'M/D/YY'],
    [['2024/3/5', '2024/12/31'], 'YYYY/M/D'],
    [['2024年3月5日', '2023年12月31日'], 'YYYY年M月D日'],
    [['45000', '45001.5', '44927'], 'excel-serial'],
  ] as const)('detects %j as %s, unambiguously', (values, format) => {
    expect(detectDateFormat([...values])).toEqual({ format, ambiguous: false });
  });

  it('calls a column ambiguous when every day and month are ≤ 12, and picks month-first', () => {
    expect(detectDateFormat(['3/5/2024', '4/6/2024', '12/1/2023'])).toEqual({ format: 'M/D/YYYY', ambiguous: true });
    expect(detectDateFormat(['3/5/24', '4/6/24'])).toEqual({ format: 'M/D/YY', ambiguous: true });
  });

  it('picks day-first for ambiguous dotted dates, as they are written in Europe', () => {
    expect(detectDateFormat(['3.5.2024', '4.6.2024'])).toEqual({ format: 'D/M/YYYY', ambiguous: true });
  });

  it('lets one unambiguous value settle the order', () => {
    expect(detectDateFormat(['3/5/2024', '4/6/2024', '13/6/2024'])).toEqual({ format: 'D/M/YYYY', ambiguous: false });
  });

  it('detects ISO in a column mixing ISO and garbage', () => {
    expect(detectDateFormat(['2024-03-05', 'n/a', 'next week', '2024-04-01', '2023-02-30', '?'])).toEqual({ format: 'iso', ambiguous: false });
  });

  it('finds no format in a column with no dates', () => {
    expect(detectDateFormat(['soon', 'later', ''])).toEqual({ format: null, ambiguous: false });
    expect(detectDateFormat([])).toEqual({ format: null, ambiguous: false });
    // Small numbers are amounts or ids, not serial dates.
    expect(detectDateFormat(['12', '500', '1999'])).toEqual({ format: null, ambiguous: false });
  });
});

describe('parseAmount', () => {
  it.each([
    ['¥1,234.56', 123456],
    ['￥12 345', 1234500],
    ['$ 1,000', 100000],
    ['1.234,56 €', 123456],
    ['1 234,56', 123456],
    ['(500)', -50000],
    ['-3.5', -350],
    ['−3.5', -350],
    ['¥-500', -50000],
    ['500-', -50000],
    ['RMB 8000', 800000],
    ['CNY8,000.00', 800000],
    ['USD 12.5', 1250],
    ['£7', 700],
    ['8000元', 800000],
    ["1.5万", 1500000],
    ["1.5万元", 1500000],
    ['2亿', 20000000000],
    ['１２３４', 123400],
    ['12,345', 1234500],
    ['12,5', 1250],
    ['1.234.567', 123456700],
    ['1,234,567.891', 123456789],
    ['0.29', 29],
    ['0.005', 1],
    ['1.5E+06', 150000000],
    ['0', 0],
    ['-0', 0],
    ['.5', 50],
  ])('reads %j as %d minor units', (value, expected) => {
    expect(parseAmount(value)).toBe(expected);
  });

  it('reads empty cells as no amount', () => {
    for (const value of ['', '   ', '-', '—', 'N/A']) expect(parseAmount(value)).toBeNull();
  });

  it.each(['abc', '12abc', '¥', '1,,234', '1.2.3,4,5', '50%', '1 2 3 x', '$$5'])('refuses %j', (value) => {
    expect(parseAmount(value)).toBeUndefined();
  });

  it('refuses amounts beyond 2^53 minor units instead of returning a rounded, wrong number', () => {
    expect(parseAmount('90071992547409.91')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseAmount('90071992547409.92')).toBeUndefined();
    expect(parseAmount('123456789012345678901234567890')).toBeUndefined();
    expect(parseAmount('1e300')).toBeUndefined();
    expect(parseAmount('9999999999999999万')).toBeUndefined();
  });
});

describe('canonical and matchValues', () => {
  it('compares names without case, spaces, punctuation or full-width forms', () => {
    expect(canonical('GTX Pro')).toBe('gtxpro');
    expect(canonical('gtx-pro')).toBe('gtxpro');
    expect(canonical('ＧＴＸ　Ｐｒｏ')).toBe('gtxpro');
    expect(canonical(' 华为·技术（北京） ')).toBe('华为技术北京');
  });

  const products = [
    { id: 'p1', name: 'GTX Pro' },
    { id: 'p2', name: 'Widget Max' },
    { id: 'p3', name: 'A1' },
    { id: 'p4', name: 'Model 5000' },
    { id: 'p5', name: 'Enterprise Suite' },
  ];

  it('matches exactly up to case, spaces and full-width letters', () => {
    const matches = matchValues(['GTXPro', 'gtx pro', 'ＧＴＸ Ｐｒｏ', 'a1'], products);
    expect(matches.get('GTXPro')).toEqual({ id: 'p1', name: 'GTX Pro', exact: true });
    expect(matches.get('gtx pro')).toEqual({ id: 'p1', name: 'GTX Pro', exact: true });
    expect(matches.get('ＧＴＸ Ｐｒｏ')).toEqual({ id: 'p1', name: 'GTX Pro', exact: true });
    expect(matches.get('a1')).toEqual({ id: 'p3', name: 'A1', exact: true });
  });

  it('suggests a near name for typos in longer names', () => {
    const matches = matchValues(['Widgit Max', 'Enterprize Suit', 'Enterprise'], products);
    expect(matches.get('Widgit Max')).toEqual({ id: 'p2', name: 'Widget Max', exact: false });
    expect(matches.get('Enterprize Suit')).toEqual({ id: 'p5', name: 'Enterprise Suite', exact: false });
    expect(matches.get('Enterprise')).toBeNull();
  });

  it('never matches short different names or names whose numbers differ', () => {
    const matches = matchValues(['A2', 'B1', 'Model 6000', 'Model 50000'], products);
    expect([...matches.values()]).toEqual([null, null, null, null]);
  });

  it('allows one edit in Chinese names, not two (two characters make another company)', () => {
    const accounts = [{ id: 'h', name: '华为科技有限公司' }];
    expect(matchValues(['中兴科技有限公司'], accounts).get('中兴科技有限公司')).toBeNull();
    expect(matchValues(['华伟科技有限公司'], accounts).get('华伟科技有限公司')).toEqual({ id: 'h', name: '华为科技有限公司', exact: false });
  });

  it('allows one edit in names under 8 characters, two from 8', () => {
    expect(matchValues(['Widgt'], [{ id: 'w', name: 'Widget' }]).get('Widgt')).toEqual({ id: 'w', name: 'Widget', exact: false });
    expect(matchValues(['Wigdte'], [{ id: 'w', name: 'Widget' }]).get('Wigdte')).toBeNull();
    expect(matchValues(['Delta'], [{ id: 'b', name: 'Beta' }, { id: 'c', name: 'Delphi' }]).get('Delta')).toBeNull();
  });

  it('computes edit distance with a cut-off as a full table would', () => {
    const naive = (a: string, b: string) => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      return d[a.length]![b.length]!;
    };
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const word = () => Array.from({ length: 3 + Math.floor(random() * 8) }, () => 'abc'[Math.floor(random() * 3)]).join('');
    for (let n = 0; n < 3000; n++) {
      const a = word();
      const b = word();
      for (const max of [1, 2]) expect(editDistance(a, b, max), `${a} ${b} ${max}`).toBe(Math.min(naive(a, b), max + 1));
    }
  });

  it('does not merge a value into an entry the same file names itself', () => {
    const existing = [{ id: 'x', name: 'Product A' }];
    expect(matchValues(['Product B'], existing).get('Product B')).toEqual({ id: 'x', name: 'Product A', exact: false });
    const both = matchValues(['Product A', 'Product B'], existing);
    expect(both.get('Product A')).toEqual({ id: 'x', name: 'Product A', exact: true });
    expect(both.get('Product B')).toBeNull();
  });

  const stages = [
    { id: 's1', name: '初步接触', kind: 'open' as const },
    { id: 's2', name: '方案报价', kind: 'open' as const },
    { id: 's3', name: '签约成功', kind: 'won' as const },
    { id: 's4', name: '已流失', kind: 'lost' as const },
  ];

  it('matches won and lost synonyms to the stages of that kind', () => {
    const matches = matchValues(['Won', 'Closed Won', '赢单', '成交', '已成交', 'Lost', 'closed lost', '输单', '丢单', '失败', '方案报价', 'Negotiation'], stages);
    for (const won of ['Won', 'Closed Won', '赢单', '成交', '已成交']) expect(matches.get(won)).toEqual({ id: 's3', name: '签约成功', exact: false });
    for (const lost of ['Lost', 'closed lost', '输单', '丢单', '失败']) expect(matches.get(lost)).toEqual({ id: 's4', name: '已流失', exact: false });
    expect(matches.get('方案报价')).toEqual({ id: 's2', name: '方案报价', exact: true });
    expect(matches.get('Negotiation')).toBeNull();
  });

  it('prefers a stage actually named like the value over the kind synonym', () => {
    const matches = matchValues(['Won'], [...stages, { id: 's5', name: 'won', kind: 'open' }]);
    expect(matches.get('Won')).toEqual({ id: 's5', name: 'won', exact: true });
  });

  it('does not use won/lost words for entries without kinds', () => {
    expect(matchValues(['Won'], [{ id: 'o', name: 'Wonder' }]).get('Won')).toBeNull();
  });

  it('matches thousands of values against thousands of entries quickly', () => {
    const existing = Array.from({ length: 5000 }, (_, i) => ({ id: `a${i}`, name: `Account ${i.toString(36)} Holdings Ltd` }));
    const values = Array.from({ length: 5000 }, (_, i) => (i % 2 ? `account ${i.toString(36)} holdings ltd` : `Acount ${i.toString(36)} Holdings Ltd.`));
    const started = performance.now();
    const matches = matchValues(values, existing);
    const elapsed = performance.now() - started;
    console.log(`matchValues: 5,000 values × 5,000 entries in ${elapsed.toFixed(0)} ms`);
    expect(matches.get('account 1 holdings ltd')).toEqual({ id: 'a1', name: 'Account 1 Holdings Ltd', exact: true });
    expect(matches.get('Acount 2 Holdings Ltd.')).toEqual({ id: 'a2', name: 'Account 2 Holdings Ltd', exact: false });
  });
});
