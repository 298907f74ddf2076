import type { Template } from './types';

export const blankTemplate: Template = {
  id: 'blank',
  name: { 'zh-CN': '空白模板', en: 'Blank' },
  description: {
    'zh-CN': '从一个最简单的销售流程开始，阶段、类型、来源和产品都可以之后按自己的业务调整。',
    en: 'Start with a minimal sales pipeline and shape stages, types, sources and products to fit your business later.',
  },
  icon: '📄',
  pipelines: [
    {
      key: 'sales',
      name: { 'zh-CN': '销售流程', en: 'Sales pipeline' },
      stages: [
        {
          key: 'new',
          name: { 'zh-CN': '新机会', en: 'New' },
          probability: 10,
          kind: 'open',
          staleAfterDays: 14,
          requiredFields: [],
        },
        {
          key: 'in-progress',
          name: { 'zh-CN': '进行中', en: 'In progress' },
          probability: 50,
          kind: 'open',
          staleAfterDays: 21,
          requiredFields: [],
        },
        {
          key: 'won',
          name: { 'zh-CN': '赢单', en: 'Won' },
          probability: 100,
          kind: 'won',
          staleAfterDays: null,
          requiredFields: ['amount'],
        },
        {
          key: 'lost',
          name: { 'zh-CN': '输单', en: 'Lost' },
          probability: 0,
          kind: 'lost',
          staleAfterDays: null,
          requiredFields: [],
        },
      ],
    },
  ],
  opportunityTypes: [
    { key: 'new-business', name: { 'zh-CN': '新客户', en: 'New business' } },
    { key: 'existing', name: { 'zh-CN': '老客户', en: 'Existing customer' } },
  ],
  sources: [
    { key: 'inbound', name: { 'zh-CN': '客户咨询', en: 'Inbound inquiry' } },
    { key: 'referral', name: { 'zh-CN': '转介绍', en: 'Referral' } },
    { key: 'outbound', name: { 'zh-CN': '主动开发', en: 'Outbound' } },
  ],
  lostReasons: [
    { key: 'price', name: { 'zh-CN': '价格', en: 'Price' } },
    { key: 'competitor', name: { 'zh-CN': '选择了竞争对手', en: 'Chose a competitor' } },
    { key: 'no-decision', name: { 'zh-CN': '需求取消', en: 'No decision' } },
  ],
  products: [],
  sample: null,
};
