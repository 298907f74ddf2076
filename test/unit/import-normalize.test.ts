// The import's row normalization: mapping applied, values typed, every problem named by row and column.
import { describe, expect, it } from 'vitest';
import { type ImportEntity, type TargetField, normalizeRows, parseCsv, suggestMapping } from '../../worker/services/import';

const file = (text: string) => parseCsv(new TextEncoder().encode(text));

function normalize(text: string, entity: ImportEntity = 'opportunities', mapping?: Record<string, TargetField | null>, dateFormats?: Parameters<typeof normalizeRows>[3]) {
  const csv = file(text);
  return normalizeRows(csv, entity, mapping ?? suggestMapping(csv.headers, entity).mapping, dateFormats);
}

describe('normalizeRows', () => {
  it('types every mapped value and leaves unmapped and empty ones out', () => {
    const { rows, dateFormats } = normalize(
      '商机名称,客户,负责人,阶段,金额,预计成交日期,创建时间,需求,星座\n' +
        '华为项目, 华为 ,张三,方案报价,"¥1,234.56",2024/3/5,2024-01-02 09:30,要快,白羊\n' +
        '空白项目,,,,,,,,\n',
    );
    expect(dateFormats).toEqual({ 预计成交日期: 'YYYY/M/D', 创建时间: 'iso' });
    expect(rows).toEqual([
      {
        rowNumber: 2,
        values: { title: '华为项目', account: '华为', owner: '张三', stage: '方案报价', amount: 123456, expectedCloseDate: '2024-03-05', createdAt: '2024-01-02', needs: '要快' },
        issues: [],
      },
      // Only optional fields missing: kept, no issues.
      { rowNumber: 3, values: { title: '空白项目' }, issues: [] },
    ]);
  });

  it('reports a row without its required field as an error naming row, column, value and reason', () => {
    const { rows } = normalize('Title,Amount\nA,1\n  ,2\n');
    expect(rows[1]!.issues).toEqual([{ rowNumber: 3, column: 'Title', value: '', reason: expect.stringContaining('title is missing'), severity: 'error', code: 'required' }]);
    expect(rows[1]!.values).toEqual({ amount: 200 });
    const contacts = normalize('Name,Email\n,a@b.co\n', 'contacts');
    expect(contacts.rows[0]!.issues.map((i) => [i.code, i.column, i.severity])).toEqual([['required', 'Name', 'error']]);
  });

  it('drops a bad date with a warning naming the column and keeps the row', () => {
    const { rows } = normalize('Title,Close Date,Created\nA,2023-02-30,2023-01-05\nB,2023-03-01,yesterday\n');
    expect(rows[0]!.values).toEqual({ title: 'A', createdAt: '2023-01-05' });
    expect(rows[0]!.issues).toEqual([
      { rowNumber: 2, column: 'Close Date', value: '2023-02-30', reason: expect.stringContaining('Close Date'), severity: 'warning', code: 'invalid_date' },
    ]);
    expect(rows[1]!.issues).toMatchObject([{ rowNumber: 3, column: 'Created', value: 'yesterday', code: 'invalid_date', severity: 'warning' }]);
  });

  it('uses the date formats it is given and reports the ambiguous columns it detected', () => {
    const text = 'Title,Close Date,Created\nA,3/5/2024,3/4/2024\nB,4/6/2024,25/3/2024\n';
    const detected = normalize(text);
    expect(detected.dateFormats).toEqual({ 'Close Date': 'M/D/YYYY', Created: 'D/M/YYYY' });
    expect(detected.ambiguousDateColumns).toEqual(['Close Date']);
    expect(detected.rows[0]!.values.expectedCloseDate).toBe('2024-03-05');
    expect(detected.rows[0]!.values.createdAt).toBe('2024-04-03');

    const given = normalize(text, 'opportunities', undefined, { dateFormats: { 'Close Date': 'D/M/YYYY' } });
    expect(given.dateFormats['Close Date']).toBe('D/M/YYYY');
    expect(given.ambiguousDateColumns).toEqual([]);
    expect(given.rows[0]!.values.expectedCloseDate).toBe('2024-05-03');
  });

  it('reads Excel serial dates', () => {
    const { rows, dateFormats } = normalize('Title,Created\nA,45000\nB,45001\n');
    expect(dateFormats).toEqual({ Created: 'excel-serial' });
    expect(rows.map((r) => r.values.createdAt)).toEqual(['2023-03-15', '2023-03-16']);
  });

  it('reads status from text in English and Chinese', () => {
    const { rows } = normalize('Title,Status\nA,won\nB,赢单\nC,Closed Won\nD,输单\nE,closed lost\nF,进行中\nG,Open\nH,deleted\nI,\n');
    expect(rows.map((r) => r.values.status)).toEqual(['won', 'won', 'won', 'lost', 'lost', 'open', 'open', undefined, undefined]);
    expect(rows[7]!.issues).toMatchObject([{ rowNumber: 9, column: 'Status', value: 'deleted', code: 'invalid_status', severity: 'warning' }]);
    expect(rows[8]!.issues).toEqual([]);
  });

  it('combines Salesforce’s Won and Closed flags into a status', () => {
    const text = 'Opportunity Name,Stage,Won,Closed\nA,Closed Won,1,1\nB,Closed Lost,0,1\nC,Proposal,0,0\nD,Proposal,,\n';
    const { rows } = normalize(text);
    expect(rows.map((r) => r.values.status)).toEqual(['won', 'lost', 'open', undefined]);
    expect(rows.flatMap((r) => r.issues)).toEqual([]);
  });

  it('reads HubSpot’s “Is Closed Won” yes/no column', () => {
    const { rows } = normalize('Record ID,Deal Name,Is Closed Won\n1,A,true\n2,B,false\n');
    expect(rows.map((r) => r.values.status)).toEqual(['won', undefined]);
  });

  it('takes the first non-empty of several columns mapped to one field (Pipedrive won/lost time)', () => {
    const text = 'Deal - Title,Deal - Status,Deal - Won time,Deal - Lost time\nA,won,2024-02-01 10:00:00,\nB,lost,,2024-03-01 11:00:00\nC,open,,\n';
    const { rows } = normalize(text);
    expect(rows.map((r) => [r.values.status, r.values.closedAt])).toEqual([['won', '2024-02-01'], ['lost', '2024-03-01'], ['open', undefined]]);
  });

  it('takes a closed row’s expected close date as its closed date when none is given', () => {
    const { rows } = normalize('Title,Status,Close Date\nA,won,2024-05-01\nB,open,2024-06-01\n');
    expect(rows[0]!.values).toMatchObject({ status: 'won', expectedCloseDate: '2024-05-01', closedAt: '2024-05-01' });
    expect(rows[1]!.values.closedAt).toBeUndefined();
  });

  it('warns about a deal closed before it was created', () => {
    const { rows } = normalize('Title,Created,Closed Date\nA,2024-05-01,2024-04-01\n');
    expect(rows[0]!.issues).toMatchObject([{ column: 'Closed Date', code: 'closed_before_created', severity: 'warning' }]);
  });

  it('drops unreadable, negative and too large amounts with warnings', () => {
    const { rows } = normalize('Title,Amount\nA,abc\nB,(500)\nC,200000000000\nD,\n');
    expect(rows.map((r) => r.values.amount)).toEqual([undefined, undefined, undefined, undefined]);
    expect(rows.map((r) => r.issues.map((i) => i.code))).toEqual([['invalid_amount'], ['negative_amount'], ['amount_too_large'], []]);
  });

  it('reads an amount column headed in 万元 in units of 10,000', () => {
    const { rows } = normalize('商机名称,金额（万元）\nA,12.5\nB,3万\n');
    expect(rows.map((r) => r.values.amount)).toEqual([12_500_000, 3_000_000]);
  });

  it('cuts text longer than the API accepts, but refuses to cut an external id', () => {
    const long = 'x'.repeat(250);
    const { rows } = normalize(`ID,Title\n${long},${long}\n`);
    expect(rows[0]!.values.title).toHaveLength(200);
    expect(rows[0]!.values.externalId).toBeUndefined();
    expect(rows[0]!.issues.map((i) => [i.column, i.code, i.severity])).toEqual([['ID', 'too_long', 'error'], ['Title', 'too_long', 'warning']]);
    expect(rows[0]!.issues[0]!.value.length).toBeLessThan(long.length);
  });

  it('numbers rows by their first line when a quoted field spans lines', () => {
    const { rows } = normalize('Title,Notes\nA,"line one\nline two\nline three"\n,"x\ny"\nC,z\n');
    expect(rows.map((r) => r.rowNumber)).toEqual([2, 5, 7]);
    expect(rows[0]!.values.notes).toBe('line one\nline two\nline three');
    expect(rows[1]!.issues).toMatchObject([{ rowNumber: 5, code: 'required' }]);
  });

  it('copies the file’s row warnings into the rows’ issues', () => {
    const { rows } = normalize('Title,Amount\nA\nB,2\n');
    expect(rows[0]!.issues).toMatchObject([{ rowNumber: 2, column: '', code: 'ragged_row', severity: 'warning' }]);
    expect(rows[1]!.issues).toEqual([]);
  });

  it('does not throw on a hand-built table whose rows are shorter than the header', () => {
    const csv = { encoding: 'utf-8' as const, bom: false, delimiter: ',' as const, headers: ['Title', 'Amount', 'Status'], rows: [['A']], rowNumbers: [2], warnings: [] };
    const { rows } = normalizeRows(csv, 'opportunities', { Title: 'title', Amount: 'amount', Status: 'status' });
    expect(rows).toEqual([{ rowNumber: 2, values: { title: 'A' }, issues: [] }]);
  });

  it('ignores a mapping to a field the entity does not have', () => {
    const { rows } = normalize('Name,Stage\nAcme,Won\n', 'accounts', { Name: 'name', Stage: 'stage' });
    expect(rows[0]!.values).toEqual({ name: 'Acme' });
  });

  it('reads contacts: joined name parts, yes/no key flags, e-mail addresses', () => {
    const { rows } = normalize('First Name,Last Name,Email,Key contact\nAda,Lovelace,ada@example.com,yes\n王,小明,not-an-email,否\n,Solo,,maybe\n', 'contacts');
    expect(rows.map((r) => r.values)).toEqual([
      { name: 'Ada Lovelace', email: 'ada@example.com', isKey: true },
      { name: '王小明', isKey: false },
      { name: 'Solo' },
    ]);
    expect(rows[1]!.issues.map((i) => i.code)).toEqual(['invalid_email']);
    expect(rows[2]!.issues.map((i) => i.code)).toEqual(['invalid_boolean']);
  });

  it('reads accounts', () => {
    const { rows } = normalize('客户名称,行业,城市,电话,网址\n华为,通信,深圳,0755-1234,https://huawei.com\n', 'accounts');
    expect(rows[0]!.values).toEqual({ name: '华为', industry: '通信', city: '深圳', phone: '0755-1234', website: 'https://huawei.com' });
  });
});

describe('a large file', () => {
  it('parses and normalizes 50,000 rows of 15 columns', () => {
    const headers = ['ID', '商机名称', '客户', '联系人', '负责人', '阶段', '状态', '类型', '来源', '产品', '金额', '预计成交日期', '创建时间', '成交日期', '备注'];
    const stages = ['初步接触', '需求确认', '方案报价', '商务谈判', '赢单', '输单'];
    const lines = [headers.join(',')];
    for (let i = 0; i < 50_000; i++) {
      const stage = stages[i % stages.length]!;
      const closed = stage === '赢单' || stage === '输单';
      const month = (i % 12) + 1;
      lines.push([
        `EXT-${i}`, `项目 ${i}`, `客户${i % 2000}有限公司`, `联系人${i % 5000}`, `销售${i % 25}`, stage, closed ? stage : '进行中',
        i % 3 ? '新客户' : '老客户', i % 4 ? '展会' : '官网', `产品${i % 40}`, `"¥${(i * 37) % 900_000},${String(i % 1000).padStart(3, '0')}.50"`,
        `2024/${month}/${(i % 28) + 1}`, `2023-${String(month).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')} 10:00`,
        closed ? `2024/${month}/${(i % 28) + 1}` : '', i % 10 ? '' : `"备注 ${i}, 含逗号\n和换行"`,
      ].join(','));
    }
    const bytes = new TextEncoder().encode(lines.join('\r\n'));

    const started = performance.now();
    const csv = parseCsv(bytes);
    const parsed = performance.now();
    const { mapping } = suggestMapping(csv.headers, 'opportunities');
    const { rows, dateFormats } = normalizeRows(csv, 'opportunities', mapping);
    const done = performance.now();
    console.log(
      `import parse: ${(bytes.length / 1024 / 1024).toFixed(1)} MB, 50,000 rows × 15 columns — parseCsv ${(parsed - started).toFixed(0)} ms, ` +
        `normalizeRows ${(done - parsed).toFixed(0)} ms, total ${(done - started).toFixed(0)} ms`,
    );

    expect(csv.rows).toHaveLength(50_000);
    expect(Object.values(mapping).filter(Boolean)).toHaveLength(15);
    expect(dateFormats).toEqual({ 预计成交日期: 'YYYY/M/D', 创建时间: 'iso', 成交日期: 'YYYY/M/D' });
    expect(rows.filter((r) => r.issues.length > 0)).toEqual([]);
    // Rows with a two-line note push every later row's line number on by one.
    expect(rows[10]!.rowNumber).toBe(13);
    expect(rows[49_999]!.rowNumber).toBe(2 + 49_999 + 5_000);
    expect(rows[4]!.values).toMatchObject({ externalId: 'EXT-4', status: 'won', closedAt: '2024-05-05', amount: 14_800_450 });
  });
});
