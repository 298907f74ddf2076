// Turns an industry template into the rows of a new workspace: pipelines, stages, catalogs and,
// when asked, sample records with a believable history: the template's hand-written deals plus a
// generated year of closed ones (services/sample-history.ts) for the reports. Pure: no I/O, ids
// and clock injected.
import { generateNKeysBetween } from 'fractional-indexing';
import type { Locale, SampleData, Template, TemplatePipeline } from '../../db/seed/templates';
import { addDays, DAY_MILLISECONDS, localTimeToInstant } from './dates';
import { generateSampleHistory, seedOf } from './sample-history';

export interface InstallInput {
  template: Template;
  locale: Locale;
  tenantId: string;
  ownerUserId: string;
  withSampleData: boolean;
  now: number;
  /** Today in the tenant's timezone. */
  today: string;
  timeZone: string;
  newId: () => string;
  /** Unique suffix for sample teammates' emails (they cannot log in). */
  sampleEmailTag: string;
  /** Seed of the generated history; by default one per template and locale. */
  historySeed?: number;
}

export function buildWorkspaceRows(input: InstallInput) {
  const { template, locale, tenantId, now, newId } = input;
  const pipelines = [];
  const stages = [];
  const stageIds = new Map<string, string>(); // "pipelineKey/stageKey" → id
  const pipelineIds = new Map<string, string>();
  for (const [pIndex, pipeline] of template.pipelines.entries()) {
    const pipelineId = newId();
    pipelineIds.set(pipeline.key, pipelineId);
    pipelines.push({ id: pipelineId, tenantId, name: pipeline.name[locale], position: pIndex, createdAt: now });
    for (const [sIndex, stage] of pipeline.stages.entries()) {
      const stageId = newId();
      stageIds.set(`${pipeline.key}/${stage.key}`, stageId);
      stages.push({
        id: stageId,
        tenantId,
        pipelineId,
        name: stage.name[locale],
        position: sIndex,
        probability: stage.probability,
        kind: stage.kind,
        staleAfterDays: stage.staleAfterDays,
        requiredFields: [...stage.requiredFields],
        createdAt: now,
      });
    }
  }
  const catalog = (items: { key: string; name: Record<Locale, string> }[]) => {
    const ids = new Map<string, string>();
    const rows = items.map((item, position) => {
      const id = newId();
      ids.set(item.key, id);
      return { id, tenantId, name: item.name[locale], position, createdAt: now };
    });
    return { ids, rows };
  };
  const types = catalog(template.opportunityTypes);
  const sources = catalog(template.sources);
  const lostReasons = catalog(template.lostReasons);
  const productIds = new Map<string, { id: string; unitPrice: number }>();
  const products = template.products.map((product, position) => {
    const id = newId();
    productIds.set(product.key, { id, unitPrice: product.unitPrice[locale] });
    return { id, tenantId, name: product.name[locale], code: product.code, unitPrice: product.unitPrice[locale], position, createdAt: now };
  });

  const base = { pipelines, stages, opportunityTypes: types.rows, sources: sources.rows, lostReasons: lostReasons.rows, products };
  const sample = input.withSampleData ? template.sample?.[locale] : undefined;
  if (!sample) return { ...base, ...emptySample() };
  return {
    ...base,
    ...buildSample(input, sample, { pipelineIds, stageIds, typeIds: types.ids, sourceIds: sources.ids, lostReasonIds: lostReasons.ids, productIds }),
  };
}

export type WorkspaceRows = ReturnType<typeof buildWorkspaceRows>;

function emptySample() {
  return {
    teammates: [] as { id: string; email: string; name: string; role: 'admin' | 'member' | 'viewer' }[],
    accounts: [] as ReturnType<typeof buildSample>['accounts'],
    contacts: [] as ReturnType<typeof buildSample>['contacts'],
    opportunities: [] as ReturnType<typeof buildSample>['opportunities'],
    opportunityContacts: [] as ReturnType<typeof buildSample>['opportunityContacts'],
    opportunityProducts: [] as ReturnType<typeof buildSample>['opportunityProducts'],
    stageChanges: [] as ReturnType<typeof buildSample>['stageChanges'],
    activities: [] as ReturnType<typeof buildSample>['activities'],
  };
}

interface OpportunityRow {
  id: string; tenantId: string; pipelineId: string; stageId: string; title: string; accountId: string;
  primaryContactId: string | null; ownerId: string; typeId: string | null; sourceId: string | null;
  amount: number | null; expectedCloseDate: string | null; needs: string | null; notes: string | null;
  status: 'open' | 'won' | 'lost'; lostReasonId: string | null; closedAt: number | null; position: string;
  stageEnteredAt: number; lastActivityAt?: number | null; nextActivityAt?: number | null;
  createdBy: string; createdAt: number; updatedAt: number;
}

interface KeyMaps {
  pipelineIds: Map<string, string>;
  stageIds: Map<string, string>;
  typeIds: Map<string, string>;
  sourceIds: Map<string, string>;
  lostReasonIds: Map<string, string>;
  productIds: Map<string, { id: string; unitPrice: number }>;
}

function buildSample(input: InstallInput, sample: SampleData, maps: KeyMaps) {
  const { tenantId, now, newId, ownerUserId, today, timeZone, template } = input;
  const need = <T>(map: Map<string, T>, key: string, what: string): T => {
    const value = map.get(key);
    if (value === undefined) throw new Error(`Template ${template.id}: unknown ${what} "${key}"`);
    return value;
  };
  const optional = (map: Map<string, string>, key: string | undefined, what: string) =>
    key === undefined ? null : need(map, key, what);

  const teammates = sample.teammates.map((t, i) => ({
    id: newId(),
    key: t.key,
    email: `sample-${i + 1}.${input.sampleEmailTag}@example.invalid`,
    name: t.name,
    role: t.role,
  }));
  const people = new Map<string, string>([['owner', ownerUserId], ...teammates.map((t) => [t.key, t.id] as [string, string])]);

  const accountIds = new Map<string, string>();
  const accounts = sample.accounts.map((a) => {
    const id = newId();
    accountIds.set(a.key, id);
    return {
      id, tenantId, name: a.name, industry: a.industry ?? null, city: a.city ?? null, phone: a.phone ?? null,
      website: a.website ?? null, ownerId: ownerUserId, createdAt: now, updatedAt: now,
    };
  });
  const contactIds = new Map<string, string>();
  const contacts = sample.contacts.map((c) => {
    const id = newId();
    contactIds.set(c.key, id);
    return {
      id, tenantId, accountId: need(accountIds, c.accountKey, 'account'), name: c.name, title: c.title ?? null,
      phone: c.phone ?? null, email: c.email ?? null, wechat: c.wechat ?? null, isKey: c.isKey ?? false,
      createdAt: now, updatedAt: now,
    };
  });

  const pipelineByKey = new Map(template.pipelines.map((p) => [p.key, p]));
  const opportunityIds = new Map<string, string>();
  const opportunities: OpportunityRow[] = [];
  const opportunityContacts = [];
  const opportunityProducts = [];
  const stageChanges = [];
  const inStage = new Map<string, number>();
  for (const opp of sample.opportunities) {
    const pipeline = need(pipelineByKey, opp.pipelineKey, 'pipeline');
    const stage = pipeline.stages.find((s) => s.key === opp.stageKey);
    if (!stage) throw new Error(`Template ${template.id}: unknown stage "${opp.stageKey}"`);
    const id = newId();
    opportunityIds.set(opp.key, id);
    const stageId = need(maps.stageIds, `${opp.pipelineKey}/${opp.stageKey}`, 'stage');
    const pipelineId = need(maps.pipelineIds, opp.pipelineKey, 'pipeline');
    const ownerId = need(people, opp.ownerKey, 'owner');
    const createdAt = now - opp.createdDaysAgo * DAY_MILLISECONDS;
    const stageEnteredAt = now - opp.inStageDays * DAY_MILLISECONDS;
    const status = stage.kind;
    const count = inStage.get(stageId) ?? 0;
    inStage.set(stageId, count + 1);
    opportunities.push({
      id, tenantId, pipelineId, stageId, title: opp.title,
      accountId: need(accountIds, opp.accountKey, 'account'),
      primaryContactId: optional(contactIds, opp.primaryContactKey, 'contact'),
      ownerId,
      typeId: optional(maps.typeIds, opp.typeKey, 'type'),
      sourceId: optional(maps.sourceIds, opp.sourceKey, 'source'),
      amount: opp.amount ?? null,
      expectedCloseDate: opp.expectedCloseInDays === undefined ? null : addDays(today, opp.expectedCloseInDays),
      needs: null,
      notes: opp.notes ?? null,
      status,
      lostReasonId: optional(maps.lostReasonIds, opp.lostReasonKey, 'lost reason'),
      closedAt: status === 'open' ? null : stageEnteredAt,
      position: '', // assigned below, per column
      stageEnteredAt,
      createdBy: ownerUserId,
      createdAt,
      updatedAt: stageEnteredAt,
    });
    if (opp.primaryContactKey) {
      opportunityContacts.push({ tenantId, opportunityId: id, contactId: need(contactIds, opp.primaryContactKey, 'contact'), role: null });
    }
    for (const line of opp.products ?? []) {
      const product = need(maps.productIds, line.productKey, 'product');
      opportunityProducts.push({ id: newId(), tenantId, opportunityId: id, productId: product.id, quantity: line.quantity, unitPrice: product.unitPrice });
    }
    const path = historyPath(pipeline, opp.stageKey);
    const steps = path.length;
    for (const [i, stageKey] of path.entries()) {
      // The first stage is entered at creation, the last at stageEnteredAt, the rest in between.
      const at = steps === 1 ? createdAt : Math.round(createdAt + ((stageEnteredAt - createdAt) * i) / (steps - 1));
      stageChanges.push({
        id: newId(), tenantId, opportunityId: id, pipelineId,
        fromStageId: i === 0 ? null : need(maps.stageIds, `${pipeline.key}/${path[i - 1]}`, 'stage'),
        toStageId: need(maps.stageIds, `${pipeline.key}/${stageKey}`, 'stage'),
        changedAt: at, changedBy: ownerId, amount: opp.amount ?? null,
      });
    }
  }
  // The generated year of closed deals, after the hand-written ones.
  const history = generateSampleHistory({
    template, locale: input.locale, sample, today, timeZone, seed: input.historySeed ?? seedOf(`${template.id}/${input.locale}`),
  });
  const historyActivities = [];
  for (const opp of history.opportunities) {
    const id = newId();
    opportunityIds.set(opp.key, id);
    const pipelineId = need(maps.pipelineIds, opp.pipelineKey, 'pipeline');
    const stageId = (key: string) => need(maps.stageIds, `${opp.pipelineKey}/${key}`, 'stage');
    const ownerId = need(people, opp.ownerKey, 'owner');
    opportunities.push({
      id, tenantId, pipelineId, stageId: stageId(opp.path.at(-1)!.stageKey), title: opp.title,
      accountId: need(accountIds, opp.accountKey, 'account'),
      primaryContactId: opp.primaryContactKey === null ? null : need(contactIds, opp.primaryContactKey, 'contact'),
      ownerId, typeId: opp.typeKey === null ? null : need(maps.typeIds, opp.typeKey, 'type'),
      sourceId: opp.sourceKey === null ? null : need(maps.sourceIds, opp.sourceKey, 'source'),
      amount: opp.amount, expectedCloseDate: opp.expectedCloseDate, needs: null, notes: null, status: opp.outcome,
      lostReasonId: opp.lostReasonKey === null ? null : need(maps.lostReasonIds, opp.lostReasonKey, 'lost reason'),
      closedAt: opp.closedAt, position: '', stageEnteredAt: opp.closedAt, createdBy: ownerId, createdAt: opp.createdAt, updatedAt: opp.closedAt,
    });
    if (opp.primaryContactKey !== null) {
      opportunityContacts.push({ tenantId, opportunityId: id, contactId: need(contactIds, opp.primaryContactKey, 'contact'), role: null });
    }
    for (const line of opp.products) {
      const product = need(maps.productIds, line.productKey, 'product');
      opportunityProducts.push({ id: newId(), tenantId, opportunityId: id, productId: product.id, quantity: line.quantity, unitPrice: product.unitPrice });
    }
    for (const [i, step] of opp.path.entries()) {
      stageChanges.push({
        id: newId(), tenantId, opportunityId: id, pipelineId,
        fromStageId: i === 0 ? null : stageId(opp.path[i - 1]!.stageKey), toStageId: stageId(step.stageKey),
        changedAt: step.at, changedBy: ownerId, amount: step.amount,
      });
    }
  }
  for (const a of history.activities) {
    const opportunityId = need(opportunityIds, a.opportunityKey, 'opportunity');
    const ownerId = opportunities.find((o) => o.id === opportunityId)!.ownerId;
    historyActivities.push({
      id: newId(), tenantId, opportunityId, ownerId, kind: a.method, subject: a.subject, dueAt: null, expectedResult: null,
      doneAt: a.at, outcome: a.outcome, feedback: a.feedback, createdBy: ownerId, createdAt: a.at, updatedAt: a.at,
    });
  }

  // Positions: one fractional key per card, in sample order within each column.
  const byStage = Map.groupBy(opportunities, (o) => o.stageId);
  for (const column of byStage.values()) {
    const keys = generateNKeysBetween(null, null, column.length);
    column.forEach((o, i) => (o.position = keys[i]!));
  }

  const handWritten = sample.activities.map((a) => {
    const opportunityId = need(opportunityIds, a.opportunityKey, 'opportunity');
    const opportunity = opportunities.find((o) => o.id === opportunityId)!;
    const at = localTimeToInstant(addDays(today, a.atInDays), a.hour, timeZone);
    const done = a.atInDays < 0;
    return {
      id: newId(), tenantId, opportunityId, ownerId: opportunity.ownerId, kind: a.method, subject: a.subject,
      dueAt: done ? null : at, expectedResult: done ? null : (a.expectedResult ?? null),
      doneAt: done ? at : null, outcome: done ? (a.outcome ?? null) : null, feedback: done ? (a.customerFeedback ?? null) : null,
      createdBy: opportunity.ownerId, createdAt: Math.min(at, now), updatedAt: Math.min(at, now),
    };
  });
  const activities = [...handWritten, ...historyActivities];
  const activitiesByOpportunity = Map.groupBy(activities, (a) => a.opportunityId);
  for (const opportunity of opportunities) {
    const own = activitiesByOpportunity.get(opportunity.id) ?? [];
    const done = own.map((a) => a.doneAt).filter((t): t is number => t !== null);
    const planned = own.map((a) => a.dueAt).filter((t): t is number => t !== null);
    Object.assign(opportunity, {
      lastActivityAt: done.length ? Math.max(...done) : null,
      nextActivityAt: planned.length && opportunity.status === 'open' ? Math.min(...planned) : null,
    });
  }

  return {
    teammates: teammates.map(({ key: _key, ...t }) => t),
    accounts, contacts, opportunities, opportunityContacts, opportunityProducts, stageChanges, activities,
  };
}

/** The stages an opportunity went through to reach `stageKey` (for a believable history). */
function historyPath(pipeline: TemplatePipeline, stageKey: string): string[] {
  const open = pipeline.stages.filter((s) => s.kind === 'open').map((s) => s.key);
  const target = pipeline.stages.find((s) => s.key === stageKey)!;
  if (target.kind === 'open') return open.slice(0, open.indexOf(stageKey) + 1);
  if (target.kind === 'won') return [...open, stageKey];
  return [...open.slice(0, Math.max(1, Math.ceil(open.length / 2))), stageKey];
}
