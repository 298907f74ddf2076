// The import's header suggestions: English and Chinese names, and the three CRM export presets.
import { describe, expect, it } from 'vitest';
import { TARGET_FIELDS, suggestMapping } from '../../worker/services/import';

const mapped = (headers: string[], entity: 'opportunities' | 'accounts' | 'contacts' = 'opportunities') => suggestMapping(headers, entity).mapping;

describe('generic header names', () => {
  it.each([
    ['商机名称', 'title'], ['机会名称', 'title'], ['标题', 'title'],
    ['客户', 'account'], ['客户名称', 'account'], ['公司', 'account'],
    ['负责人', 'owner'], ['销售', 'owner'], ['跟进人', 'owner'],
    ['阶段', 'stage'], ['销售阶段', 'stage'],
    ['金额', 'amount'], ['预计金额', 'amount'], ['合同金额', 'amount'], ['金额（元）', 'amount'], ['金额(万元)', 'amount'],
    ['预计成交日期', 'expectedCloseDate'],
    ['创建时间', 'createdAt'], ['创建日期', 'createdAt'],
    ['成交日期', 'closedAt'], ['关闭日期', 'closedAt'],
    ['输单原因', 'lostReason'], ['需求', 'needs'], ['来源', 'source'], ['类型', 'type'], ['产品', 'product'],
    ['外部编号', 'externalId'], ['ID', 'externalId'],
    ['联系人', 'contact'], ['状态', 'status'], ['备注', 'notes'], ['销售流程', 'pipeline'],
    ['Title', 'title'], ['Deal Name', 'title'], ['Company', 'account'], ['Owner', 'owner'], ['Stage', 'stage'],
    ['Amount (USD)', 'amount'], ['Expected Close Date', 'expectedCloseDate'], ['Created At', 'createdAt'],
    ['Closed Date', 'closedAt'], ['Lost Reason', 'lostReason'], ['Lead Source', 'source'], ['Notes', 'notes'],
    ['  deal_stage ', 'stage'], ['EXPECTED-CLOSE-DATE', 'expectedCloseDate'],
  ])('maps an opportunity header %j to %s', (header, field) => {
    expect(mapped([header])[header]).toBe(field);
  });

  it('ignores headers it does not know', () => {
    expect(mapped(['Title', 'Favourite colour', '星座'])).toEqual({ Title: 'title', 'Favourite colour': null, 星座: null });
  });

  it('lets only the strongest header fill a field', () => {
    const mapping = mapped(['公司', '客户名称', 'Amount in company currency', 'Amount']);
    // 客户名称 is listed before 公司 among the account names, so it wins whatever the column order.
    expect(mapping).toEqual({ 公司: null, 客户名称: 'account', 'Amount in company currency': null, Amount: 'amount' });
  });

  it('maps accounts headers', () => {
    expect(mapped(['客户名称', '行业', '城市', '电话', '网址', '负责人', '备注', '客户编号'], 'accounts')).toEqual({
      客户名称: 'name', 行业: 'industry', 城市: 'city', 电话: 'phone', 网址: 'website', 负责人: 'owner', 备注: 'notes', 客户编号: 'externalId',
    });
    expect(mapped(['Company name', 'Industry', 'City', 'Phone Number', 'Website URL', 'Company owner', 'Record ID'], 'accounts')).toEqual({
      'Company name': 'name', Industry: 'industry', City: 'city', 'Phone Number': 'phone', 'Website URL': 'website', 'Company owner': 'owner', 'Record ID': 'externalId',
    });
  });

  it('maps contacts headers, Chinese and English', () => {
    expect(mapped(['姓名', '公司', '职位', '手机', '邮箱', '微信', '关键联系人'], 'contacts')).toEqual({
      姓名: 'name', 公司: 'account', 职位: 'jobTitle', 手机: 'phone', 邮箱: 'email', 微信: 'wechat', 关键联系人: 'isKey',
    });
    expect(mapped(['Name', 'Title', 'Email', 'Mobile'], 'contacts')).toEqual({ Name: 'name', Title: 'jobTitle', Email: 'email', Mobile: 'phone' });
  });

  it('maps first and last name together to the contact’s name, unless a full name exists', () => {
    expect(mapped(['First Name', 'Last Name', 'Email'], 'contacts')).toEqual({ 'First Name': 'name', 'Last Name': 'name', Email: 'email' });
    expect(mapped(['Full Name', 'First Name', 'Last Name'], 'contacts')).toEqual({ 'Full Name': 'name', 'First Name': null, 'Last Name': null });
  });

  it('suggests only fields of the entity', () => {
    for (const entity of ['opportunities', 'accounts', 'contacts'] as const) {
      const headers = ['Title', 'Name', 'Stage', 'Amount', 'Industry', 'Email', 'WeChat', 'Job Title', 'Pipeline', 'Website', '需求', '是否关键'];
      for (const field of Object.values(mapped(headers, entity))) {
        if (field) expect(TARGET_FIELDS[entity] as readonly string[]).toContain(field);
      }
    }
  });
});

describe('CRM export presets', () => {
  it('recognizes a HubSpot deals export', () => {
    const headers = ['Record ID', 'Deal Name', 'Deal Stage', 'Amount', 'Close Date', 'Create Date', 'Deal owner', 'Pipeline', 'Deal Type',
      'Closed Lost Reason', 'Associated Company (Primary)', 'Associated Contact', 'Amount in company currency', 'Last Activity Date', 'Deal Description', 'Original Source Type', 'Is Closed Won'];
    const { mapping, preset } = suggestMapping(headers, 'opportunities');
    expect(preset).toBe('hubspot');
    expect(mapping).toEqual({
      'Record ID': 'externalId', 'Deal Name': 'title', 'Deal Stage': 'stage', Amount: 'amount', 'Close Date': 'expectedCloseDate',
      'Create Date': 'createdAt', 'Deal owner': 'owner', Pipeline: 'pipeline', 'Deal Type': 'type', 'Closed Lost Reason': 'lostReason',
      'Associated Company (Primary)': 'account', 'Associated Contact': 'contact', 'Amount in company currency': null, 'Last Activity Date': null,
      'Deal Description': 'notes', 'Original Source Type': 'source', 'Is Closed Won': 'status',
    });
  });

  it('recognizes a Pipedrive deals export, both won and lost times feeding the closed date', () => {
    const headers = ['Deal - ID', 'Deal - Title', 'Deal - Value', 'Deal - Currency', 'Deal - Stage', 'Deal - Status', 'Deal - Owner', 'Deal - Organization',
      'Deal - Contact person', 'Deal - Expected close date', 'Deal - Deal created', 'Deal - Won time', 'Deal - Lost time', 'Deal - Lost reason',
      'Deal - Pipeline', 'Deal - Last stage change', 'Deal - Source channel', 'Deal - Label', 'Organization - Name', 'Person - Email'];
    const { mapping, preset } = suggestMapping(headers, 'opportunities');
    expect(preset).toBe('pipedrive');
    expect(mapping).toEqual({
      'Deal - ID': 'externalId', 'Deal - Title': 'title', 'Deal - Value': 'amount', 'Deal - Currency': null, 'Deal - Stage': 'stage',
      'Deal - Status': 'status', 'Deal - Owner': 'owner', 'Deal - Organization': 'account', 'Deal - Contact person': 'contact',
      'Deal - Expected close date': 'expectedCloseDate', 'Deal - Deal created': 'createdAt', 'Deal - Won time': 'closedAt', 'Deal - Lost time': 'closedAt',
      'Deal - Lost reason': 'lostReason', 'Deal - Pipeline': 'pipeline', 'Deal - Last stage change': 'stageEnteredAt', 'Deal - Source channel': 'source',
      'Deal - Label': null, 'Organization - Name': 'account', 'Person - Email': null,
    });
  });

  it('recognizes an older Pipedrive export without the "Deal - " prefix', () => {
    const { mapping, preset } = suggestMapping(['Title', 'Value', 'Organization', 'Status', 'Deal created', 'Won time', 'Lost time'], 'opportunities');
    expect(preset).toBe('pipedrive');
    expect(mapping).toMatchObject({ Title: 'title', Value: 'amount', Organization: 'account', 'Won time': 'closedAt', 'Lost time': 'closedAt' });
  });

  it('recognizes a Salesforce opportunities report, Won and Closed both feeding the status', () => {
    const headers = ['Opportunity ID', 'Opportunity Name', 'Account Name', 'Stage', 'Amount', 'Close Date', 'Created Date', 'Opportunity Owner',
      'Type', 'Lead Source', 'Won', 'Closed', 'Probability (%)', 'Next Step', 'Last Stage Change Date', 'Fiscal Period'];
    const { mapping, preset } = suggestMapping(headers, 'opportunities');
    expect(preset).toBe('salesforce');
    expect(mapping).toEqual({
      'Opportunity ID': 'externalId', 'Opportunity Name': 'title', 'Account Name': 'account', Stage: 'stage', Amount: 'amount',
      'Close Date': 'expectedCloseDate', 'Created Date': 'createdAt', 'Opportunity Owner': 'owner', Type: 'type', 'Lead Source': 'source',
      Won: 'status', Closed: 'status', 'Probability (%)': null, 'Next Step': null, 'Last Stage Change Date': 'stageEnteredAt', 'Fiscal Period': null,
    });
  });

  it('recognizes a Salesforce Data Loader export by its API names', () => {
    const { mapping, preset } = suggestMapping(['Id', 'Name', 'AccountId', 'StageName', 'Amount', 'CloseDate', 'CreatedDate', 'IsWon', 'IsClosed', 'LeadSource'], 'opportunities');
    expect(preset).toBe('salesforce');
    expect(mapping).toEqual({ Id: 'externalId', Name: 'title', AccountId: null, StageName: 'stage', Amount: 'amount', CloseDate: 'expectedCloseDate',
      CreatedDate: 'createdAt', IsWon: 'status', IsClosed: 'status', LeadSource: 'source' });
  });

  it('detects no preset in a hand-made sheet', () => {
    expect(suggestMapping(['商机名称', '客户', '金额', '阶段'], 'opportunities').preset).toBeNull();
    expect(suggestMapping(['Title', 'Account', 'Amount', 'Close Date'], 'opportunities').preset).toBeNull();
  });

  it('reads Pipedrive person and organization exports for contacts and accounts', () => {
    expect(mapped(['Person - Name', 'Person - Organization', 'Person - Email', 'Person - Phone'], 'contacts')).toEqual({
      'Person - Name': 'name', 'Person - Organization': 'account', 'Person - Email': 'email', 'Person - Phone': 'phone',
    });
    expect(mapped(['Organization - Name', 'Organization - Owner', 'Organization - ID'], 'accounts')).toEqual({
      'Organization - Name': 'name', 'Organization - Owner': 'owner', 'Organization - ID': 'externalId',
    });
  });
});
