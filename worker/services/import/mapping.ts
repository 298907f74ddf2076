// Header names → target fields: English and Chinese names, and the exact headers of the three CRM
// exports people bring most (HubSpot deals, Pipedrive deals, Salesforce opportunities).
import type { ImportEntity, TargetField } from './fields';
import { canonical } from './matching';

export type ImportPreset = 'hubspot' | 'pipedrive' | 'salesforce';

type AliasTable<E extends ImportEntity> = { [F in TargetField<E>]?: string[] };

// Earlier names in a list are the stronger claim: when two headers could fill one field, the one with
// the earlier name gets it ("Amount" before "Amount in company currency").
const OPPORTUNITY_ALIASES: AliasTable<'opportunities'> = {
  externalId: ['external id', 'id', 'record id', 'deal id', 'opportunity id', 'opportunity id 18', '外部编号', '外部id', '编号', '商机编号', '机会编号', '商机id', '序号id'],
  title: ['title', 'deal name', 'opportunity name', 'deal title', 'name', 'opportunity', 'deal', 'subject', '商机名称', '机会名称', '标题', '商机', '机会', '商机标题', '项目名称', '项目', '名称'],
  account: ['account', 'account name', 'company', 'company name', 'organization', 'organisation', 'organization name', 'customer', 'customer name', 'client', 'client name', 'associated company', 'associated company primary', 'associated companies', '客户', '客户名称', '公司', '公司名称', '企业名称', '单位', '单位名称', '所属客户', '客户公司', '组织'],
  contact: ['contact', 'contact name', 'contact person', 'primary contact', 'associated contact', 'associated contacts', 'person', 'person name', '联系人', '联系人姓名', '客户联系人', '主要联系人'],
  owner: ['owner', 'deal owner', 'opportunity owner', 'owner name', 'owner full name', 'sales rep', 'salesperson', 'sales person', 'sales owner', 'assigned to', 'account manager', 'user', '负责人', '销售', '跟进人', '销售员', '销售人员', '销售负责人', '业务员', '归属人', '所有者', '拥有者', '商机负责人', '客户经理'],
  stage: ['stage', 'deal stage', 'sales stage', 'stage name', 'opportunity stage', 'pipeline stage', '阶段', '销售阶段', '商机阶段', '当前阶段', '跟进阶段'],
  status: ['status', 'deal status', 'opportunity status', 'state', 'outcome', 'result', 'won', 'is won', 'is closed won', '状态', '商机状态', '结果', '成交状态', '赢单'],
  type: ['type', 'deal type', 'opportunity type', 'business type', '类型', '商机类型', '业务类型', '机会类型'],
  source: ['source', 'lead source', 'deal source', 'source channel', 'channel', 'original source', 'original source type', 'original traffic source', 'origin', 'utm source', '来源', '线索来源', '商机来源', '客户来源', '渠道', '来源渠道'],
  product: ['product', 'products', 'product name', 'item', '产品', '产品名称', '意向产品', '商品'],
  amount: ['amount', 'value', 'deal value', 'deal amount', 'opportunity amount', 'revenue', 'total', 'price', 'amount in company currency', '金额', '预计金额', '合同金额', '商机金额', '成交金额', '销售金额', '总金额', '预算', '金额元'],
  expectedCloseDate: ['expected close date', 'close date', 'expected close', 'estimated close date', 'target close date', 'expected closing date', '预计成交日期', '预计成交时间', '预计签单日期', '预计签约日期', '预计结单日期', '预计关闭日期', '预计成交'],
  createdAt: ['created', 'create date', 'created date', 'created at', 'created on', 'date created', 'creation date', 'deal created', 'deal created on', 'add time', '创建时间', '创建日期', '录入时间', '录入日期', '登记日期', '新建时间', '添加时间'],
  closedAt: ['closed at', 'closed date', 'closed on', 'date closed', 'actual close date', 'close time', 'deal closed on', 'won time', 'lost time', 'won date', 'lost date', 'win date', '成交日期', '关闭日期', '成交时间', '关闭时间', '签单日期', '签约日期', '结单日期', '赢单日期', '输单日期', '实际成交日期'],
  stageEnteredAt: ['stage entered', 'stage entered at', 'stage entered date', 'date entered current stage', 'last stage change', 'last stage change date', 'stage change date', 'stage changed', 'stage change time', '进入阶段日期', '进入阶段时间', '阶段变更时间', '阶段变更日期', '阶段更新时间'],
  lostReason: ['lost reason', 'closed lost reason', 'loss reason', 'reason lost', 'reason for loss', 'lost reason description', '输单原因', '丢单原因', '失败原因', '输单理由'],
  needs: ['needs', 'need', 'requirements', 'requirement', 'pain points', 'customer needs', '需求', '客户需求', '需求描述', '需求说明'],
  notes: ['notes', 'note', 'description', 'deal description', 'comments', 'comment', 'remarks', 'details', '备注', '说明', '描述', '备注信息', '详情'],
  pipeline: ['pipeline', 'sales pipeline', 'deal pipeline', 'pipeline name', '销售流程', '管道', '销售管道', '流程', '商机流程'],
};

const ACCOUNT_ALIASES: AliasTable<'accounts'> = {
  externalId: ['external id', 'id', 'record id', 'account id', 'company id', 'organization id', '外部编号', '外部id', '编号', '客户编号', '公司编号'],
  name: ['name', 'account name', 'company name', 'company', 'organization name', 'organization', 'organisation', 'account', 'customer name', 'customer', 'client', '客户名称', '公司名称', '企业名称', '单位名称', '名称', '客户', '公司', '企业', '单位'],
  industry: ['industry', 'sector', 'vertical', '行业', '所属行业', '行业类别'],
  city: ['city', 'billing city', 'town', 'location', '城市', '所在城市', '所在地', '地区'],
  phone: ['phone', 'phone number', 'telephone', 'tel', 'main phone', 'company phone', '电话', '联系电话', '座机', '公司电话', '电话号码'],
  website: ['website', 'website url', 'web site', 'url', 'domain', 'company domain name', 'homepage', '网址', '官网', '网站', '公司网址'],
  owner: ['owner', 'account owner', 'company owner', 'organization owner', 'assigned to', 'sales rep', '负责人', '销售', '跟进人', '客户经理', '所有者', '归属人'],
  notes: ['notes', 'note', 'description', 'about', 'comments', 'remarks', '备注', '说明', '描述', '简介', '公司简介'],
};

const CONTACT_ALIASES: AliasTable<'contacts'> = {
  externalId: ['external id', 'id', 'record id', 'contact id', 'person id', '外部编号', '外部id', '编号', '联系人编号'],
  name: ['name', 'full name', 'contact name', 'contact', 'person name', 'person', '姓名', '联系人', '联系人姓名', '名字', '称呼'],
  account: ['account', 'account name', 'company', 'company name', 'organization', 'organisation', 'organization name', 'associated company', 'associated company primary', 'customer', 'client', '客户', '客户名称', '公司', '公司名称', '企业名称', '单位', '所属公司', '所属客户'],
  jobTitle: ['job title', 'title', 'position', 'role', 'job', 'designation', '职位', '职务', '岗位', '头衔', '职称'],
  phone: ['phone', 'mobile', 'mobile phone', 'mobile phone number', 'phone number', 'cell', 'cell phone', 'telephone', 'tel', '手机', '手机号', '手机号码', '电话', '联系电话', '联系方式'],
  email: ['email', 'e mail', 'email address', 'work email', 'mail', '邮箱', '电子邮件', '电子邮箱', '邮件', '邮箱地址'],
  wechat: ['wechat', 'wechat id', 'weixin', 'we chat', '微信', '微信号', '微信id'],
  isKey: ['key contact', 'is key', 'key', 'is key contact', 'decision maker', 'primary', 'vip', '关键联系人', '关键人', '决策人', '是否关键', '是否关键联系人', '重要联系人'],
};

// Contacts exported as first and last name (HubSpot, Pipedrive, Outlook) fill `name` together;
// normalizeRows joins several columns mapped to `name` in column order.
const NAME_PARTS = new Set(['first name', 'last name', 'given name', 'family name', 'surname', 'middle name', 'firstname', 'lastname', '姓', '名'].map(canonical));

const ALIASES: { [E in ImportEntity]: AliasTable<E> } = {
  opportunities: OPPORTUNITY_ALIASES,
  accounts: ACCOUNT_ALIASES,
  contacts: CONTACT_ALIASES,
};

// Each preset's own headers, canonical. They override the generic names, and several of them may
// fill one field (Pipedrive's "Won time" and "Lost time" → closedAt, Salesforce's "Won" and
// "Closed" → status): normalizeRows takes the first non-empty one, and combines status flags.
const PRESETS: Record<ImportPreset, Partial<Record<string, TargetField<'opportunities'>>>> = {
  hubspot: {
    'record id': 'externalId',
    'deal name': 'title',
    'deal stage': 'stage',
    pipeline: 'pipeline',
    amount: 'amount',
    'close date': 'expectedCloseDate',
    'create date': 'createdAt',
    'deal owner': 'owner',
    'deal type': 'type',
    'closed lost reason': 'lostReason',
    'deal description': 'notes',
    'associated company': 'account',
    'associated company primary': 'account',
    'associated companies': 'account',
    'associated contact': 'contact',
    'associated contacts': 'contact',
    'original source type': 'source',
    'original traffic source': 'source',
    'date entered current stage': 'stageEnteredAt',
    'is closed won': 'status',
    'is deal closed': 'status',
  },
  // Pipedrive names deal columns "Deal - Title" (newer exports) or "Title" (older ones); both are
  // looked up without the "Deal - " prefix.
  pipedrive: {
    id: 'externalId',
    title: 'title',
    value: 'amount',
    stage: 'stage',
    status: 'status',
    owner: 'owner',
    organization: 'account',
    'organization name': 'account',
    'contact person': 'contact',
    'person name': 'contact',
    'expected close date': 'expectedCloseDate',
    'deal created': 'createdAt',
    'won time': 'closedAt',
    'lost time': 'closedAt',
    'deal closed on': 'closedAt',
    'close time': 'closedAt',
    'lost reason': 'lostReason',
    pipeline: 'pipeline',
    'last stage change': 'stageEnteredAt',
    'stage change time': 'stageEnteredAt',
    'source channel': 'source',
    products: 'product',
    'product name': 'product',
  },
  // Salesforce report exports ("Opportunity Name") and Data Loader exports (API names: "StageName").
  salesforce: {
    'opportunity id': 'externalId',
    id: 'externalId',
    'opportunity name': 'title',
    name: 'title',
    'account name': 'account',
    'account.name': 'account',
    stage: 'stage',
    stagename: 'stage',
    amount: 'amount',
    'close date': 'expectedCloseDate',
    closedate: 'expectedCloseDate',
    'created date': 'createdAt',
    createddate: 'createdAt',
    'opportunity owner': 'owner',
    'owner.name': 'owner',
    'owner name': 'owner',
    'owner full name': 'owner',
    type: 'type',
    'lead source': 'source',
    leadsource: 'source',
    won: 'status',
    iswon: 'status',
    closed: 'status',
    isclosed: 'status',
    'last stage change date': 'stageEnteredAt',
    laststagechangedate: 'stageEnteredAt',
    description: 'notes',
    'primary contact': 'contact',
    'contact name': 'contact',
    'product name': 'product',
    'loss reason': 'lostReason',
    'reason lost': 'lostReason',
  },
};

const PRESET_LOOKUP = Object.fromEntries(
  Object.entries(PRESETS).map(([preset, table]) => [preset, new Map(Object.entries(table).map(([name, field]) => [canonical(name), field!]))]),
) as Record<ImportPreset, Map<string, TargetField<'opportunities'>>>;

const ALIAS_LOOKUP = Object.fromEntries(
  (Object.keys(ALIASES) as ImportEntity[]).map((entity) => {
    const lookup = new Map<string, { field: TargetField; rank: number }>();
    for (const [field, names] of Object.entries(ALIASES[entity]) as [TargetField, string[]][]) {
      names.forEach((name, rank) => {
        const key = canonical(name);
        const taken = lookup.get(key);
        if (taken && taken.field !== field) throw new Error(`Import alias "${name}" names both ${taken.field} and ${field}`);
        if (!taken) lookup.set(key, { field, rank });
      });
    }
    return [entity, lookup];
  }),
) as Record<ImportEntity, Map<string, { field: TargetField; rank: number }>>;

// Pipedrive prefixes every column with its record type: "Deal - Title", "Organization - Name", "Person - Email".
const OWN_PREFIX: Record<ImportEntity, RegExp> = {
  opportunities: /^\s*(?:deal|opportunity)\s+-\s+/i,
  accounts: /^\s*(?:organization|organisation|company)\s+-\s+/i,
  contacts: /^\s*(?:person|contact)\s+-\s+/i,
};
const OTHER_PREFIX = /^\s*(organization|organisation|person|deal|product)\s+-\s+/i;

/** Canonical names a header is looked up by, most specific first. */
function headerKeys(header: string, entity: ImportEntity): string[] {
  const keys = [canonical(header)];
  // "Amount (USD)", "金额（元）", "Associated Company (Primary)"
  const bare = header.replace(/\s*[(（[【][^)）\]】]*[)）\]】]\s*$/, '');
  if (bare !== header) keys.push(canonical(bare));
  for (const name of [header, bare]) {
    if (OWN_PREFIX[entity].test(name)) keys.push(canonical(name.replace(OWN_PREFIX[entity], '')));
    else {
      // "Organization - Name" in a deals export is the account's name: look it up as "organization name".
      const other = OTHER_PREFIX.exec(name);
      if (other) keys.push(canonical(name.replace(OTHER_PREFIX, `${other[1]} `)));
    }
  }
  return [...new Set(keys)].filter((k) => k !== '');
}

export function detectPreset(headers: string[]): ImportPreset | null {
  const names = new Set(headers.map(canonical));
  const has = (...list: string[]) => list.every((h) => names.has(canonical(h)));
  const prefixed = headers.filter((h) => /^\s*(?:deal|organization|person)\s+-\s+/i.test(h)).length;
  if (prefixed >= 2 || has('won time', 'lost time') || has('deal created', 'value', 'title')) return 'pipedrive';
  if (has('opportunity name') || has('opportunity id') || has('opportunity owner') || has('stagename', 'closedate')) return 'salesforce';
  if (has('record id') || has('deal name', 'deal stage') || has('deal stage', 'pipeline', 'close date')) return 'hubspot';
  return null;
}

export function suggestMapping(headers: string[], entity: ImportEntity): {
  mapping: Record<string, TargetField | null>;
  preset: ImportPreset | null;
} {
  const preset = detectPreset(headers);
  const mapping: Record<string, TargetField | null> = {};
  for (const header of headers) mapping[header] = null;
  const filled = new Set<TargetField>();

  if (preset && entity === 'opportunities') {
    const table = PRESET_LOOKUP[preset];
    for (const header of headers) {
      const field = headerKeys(header, entity).map((k) => table.get(k)).find(Boolean);
      if (field) {
        mapping[header] = field;
        filled.add(field);
      }
    }
  }

  // Generic names: the strongest claim on each field wins; later claims on a filled field are ignored,
  // so one file column feeds each field (except contact name parts, joined).
  const lookup = ALIAS_LOOKUP[entity];
  const claims: { header: string; field: TargetField; rank: number; order: number }[] = [];
  const nameParts: string[] = [];
  headers.forEach((header, order) => {
    if (mapping[header]) return;
    const keys = headerKeys(header, entity);
    const claim = keys.map((k) => lookup.get(k)).find(Boolean);
    if (claim) claims.push({ header, ...claim, order });
    else if (entity === 'contacts' && keys.some((k) => NAME_PARTS.has(k))) nameParts.push(header);
  });
  claims.sort((a, b) => a.rank - b.rank || a.order - b.order);
  for (const claim of claims) {
    if (filled.has(claim.field)) continue;
    mapping[claim.header] = claim.field;
    filled.add(claim.field);
  }
  if (entity === 'contacts' && !filled.has('name')) for (const header of nameParts) mapping[header] = 'name';
  return { mapping, preset };
}
