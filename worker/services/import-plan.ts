// What an import will do, decided from the parsed file, the chosen options and the tenant's
// reference data: each file value of a reference field (stage, owner, type, source, product, lost
// reason, pipeline) → an existing entry, a new one, or the default; each row → the ids it will
// carry, its times for the history, or the issues that keep it out. Pure: the dry run shows it,
// the import job writes it (worker/jobs/imports.ts), the same function deciding both.
//
// Decisions:
// - Reference values: valueMap first (an id or exact name of an existing entry, or "create"); else
//   matchValues (same name up to case/spaces; stages also won/lost words; then a near name). A value
//   with no match: catalogs (type, source, product, lost reason) are created; a stage falls back to
//   the won/lost stage when the row says won/lost, else the pipeline's first open stage (a new open
//   stage only when valueMap says "create"); an owner falls back to the importing user (a pending
//   member only when valueMap says "create"); a pipeline falls back to the first pipeline. Each
//   fallback is a warning on the row.
// - Status: an explicit status column wins over the stage (a won row named in an open stage goes
//   to the won stage); otherwise the stage's kind is the status.
// - Times (instants at noon in the workspace's time zone for a calendar date): created = createdAt,
//   else the earliest of closedAt / stageEnteredAt / now; closed (won/lost only) = closedAt, else
//   stageEnteredAt, else now; a close before the creation moves the creation to the close.
// - History for a new opportunity: an entry into the pipeline's first open stage at creation and a
//   change into its current stage when entered (stageEnteredAt, or the close for won/lost); just
//   one entry when the current stage is the first.
import { type DateFormat, type ImportEntity, type ParsedCsv, type RowIssue, type TargetField, isTargetField, matchValues, normalizeRows, suggestMapping, OPEN_WORDS, canonical } from './import';
import { localDate, localTimeToInstant } from './dates';

export const REFERENCE_FIELDS = ['stage', 'owner', 'type', 'source', 'product', 'lostReason', 'pipeline'] as const;
export type ReferenceField = (typeof REFERENCE_FIELDS)[number];
const CATALOG_FIELDS = new Set<ReferenceField>(['type', 'source', 'product', 'lostReason']);

/** The tenant's entries a file's values are matched against. Pipelines and stages in board order. */
export interface ImportRefs {
  pipelines: { id: string; name: string; stages: { id: string; name: string; kind: 'open' | 'won' | 'lost' }[] }[];
  members: { id: string; name: string; email: string }[];
  type: { id: string; name: string }[];
  source: { id: string; name: string }[];
  product: { id: string; name: string }[];
  lostReason: { id: string; name: string }[];
}

export interface ImportOptions {
  /** csv column → target field, '' = ignored. Columns not listed take the suggestion. */
  mapping?: Record<string, string>;
  valueMap?: Record<string, Record<string, string>>;
  dateFormats?: Record<string, DateFormat>;
}

export type MatchHow = 'exact' | 'near' | 'won' | 'lost' | 'open';
export interface ValueSummary {
  value: string;
  count: number;
  match: { id: string; name: string; how: MatchHow } | null;
  action: 'map' | 'create';
}

/** An entry the import will create; `key` names it in the planned rows until it has an id. */
export interface NewReference {
  field: ReferenceField;
  key: string;
  name: string;
}

/** A reference in a planned row: an existing id, or a new entry's key. */
export type RefId = { id: string } | { key: string };

export type ImportIssueCode = RowIssue['code'] | 'unknown_stage' | 'unknown_owner' | 'unknown_pipeline' | 'unknown_value';
export interface ImportIssue extends Omit<RowIssue, 'code'> {
  code: ImportIssueCode;
}

/** A row ready to write (all instants epoch ms). Fields absent in the file are absent here. */
export interface PlannedRow {
  n: number;
  ext?: string;
  // opportunities
  title?: string;
  account?: string;
  contact?: string;
  owner?: RefId;
  pipelineId?: string;
  stage?: RefId;
  firstStageId?: string;
  status?: 'open' | 'won' | 'lost';
  type?: RefId;
  source?: RefId;
  product?: RefId;
  lostReason?: RefId;
  amount?: number;
  expectedCloseDate?: string;
  createdAt?: number;
  closedAt?: number;
  stageEnteredAt?: number;
  /** True when the file gave a creation date (updates keep their own otherwise). */
  hasCreatedAt?: boolean;
  needs?: string;
  notes?: string;
  // accounts / contacts
  name?: string;
  industry?: string;
  city?: string;
  phone?: string;
  website?: string;
  jobTitle?: string;
  email?: string;
  wechat?: string;
  isKey?: boolean;
}

export interface ImportPlan {
  headers: string[];
  mapping: Record<string, string>;
  dateFormats: Record<string, DateFormat>;
  preset: 'hubspot' | 'pipedrive' | 'salesforce' | null;
  sample: string[][];
  values: Partial<Record<ReferenceField, ValueSummary[]>>;
  creates: NewReference[];
  rows: PlannedRow[];
  issues: ImportIssue[];
  /** Rows with an error (not imported). */
  skipped: number;
  warnings: number;
  /** Calendar dates (workspace time zone) the rows' history spans, for the statistics recompute. */
  firstDate: string | null;
  lastDate: string | null;
}

export const VALUES_PER_FIELD = 200;

export function planImport(
  csv: ParsedCsv,
  entity: ImportEntity,
  options: ImportOptions,
  refs: ImportRefs,
  context: { timezone: string; now: number; currencyDigits: number },
): ImportPlan {
  const suggested = suggestMapping(csv.headers, entity);
  const mapping: Record<string, string> = {};
  for (const header of csv.headers) {
    const chosen = options.mapping?.[header];
    mapping[header] = chosen !== undefined ? (chosen && isTargetField(entity, chosen) ? chosen : '') : (suggested.mapping[header] ?? '');
  }
  const normalized = normalizeRows(csv, entity, Object.fromEntries(Object.entries(mapping).map(([k, v]) => [k, (v || null) as TargetField | null])), {
    dateFormats: options.dateFormats,
  });
  const mappedFields = new Set(Object.values(mapping).filter(Boolean));
  const columnOf = (field: string) => csv.headers.find((h) => mapping[h] === field) ?? field;

  // Distinct values of each mapped reference field.
  const fields = REFERENCE_FIELDS.filter((f) => mappedFields.has(f) && isTargetField(entity, f));
  const counts = new Map<ReferenceField, Map<string, number>>();
  for (const field of fields) counts.set(field, new Map());
  for (const row of normalized.rows) {
    for (const field of fields) {
      const value = row.values[field];
      if (typeof value === 'string' && value) counts.get(field)!.set(value, (counts.get(field)!.get(value) ?? 0) + 1);
    }
  }

  const defaultPipeline = refs.pipelines[0];
  const allStages = refs.pipelines.flatMap((p) => p.stages.map((s) => ({ ...s, pipelineId: p.id })));
  const entriesOf = (field: ReferenceField): { id: string; name: string; kind?: 'open' | 'won' | 'lost' }[] => {
    switch (field) {
      case 'stage':
        // The first pipeline's stages first, so a name shared by pipelines means the first one's.
        return allStages;
      case 'owner':
        return refs.members.flatMap((m) => [{ id: m.id, name: m.name }, { id: m.id, name: m.email }]);
      case 'pipeline':
        return refs.pipelines.map((p) => ({ id: p.id, name: p.name }));
      default:
        return refs[field];
    }
  };

  const values: Partial<Record<ReferenceField, ValueSummary[]>> = {};
  const creates: NewReference[] = [];
  const resolved = new Map<ReferenceField, Map<string, RefId | null>>();
  for (const field of fields) {
    const fieldCounts = counts.get(field)!;
    const distinct = [...fieldCounts.keys()];
    const entries = entriesOf(field);
    const auto = matchValues(distinct, entries);
    const chosen = options.valueMap?.[field] ?? {};
    const byId = new Map(entries.map((e) => [e.id, e]));
    const byName = new Map(entries.map((e) => [canonical(e.name), e]));
    const map = new Map<string, RefId | null>();
    const summaries: ValueSummary[] = [];
    for (const value of distinct) {
      let match: ValueSummary['match'] = null;
      let action: ValueSummary['action'] = 'map';
      const choice = chosen[value];
      if (choice === 'create') {
        action = 'create';
      } else if (choice) {
        const entry = byId.get(choice) ?? byName.get(canonical(choice));
        if (entry) match = { id: entry.id, name: entry.name, how: 'exact' };
      } else {
        const found = auto.get(value);
        if (found) {
          const key = canonical(value);
          const entry = byId.get(found.id);
          const how: MatchHow = found.exact ? 'exact' : field === 'stage' && entry?.kind === 'won' ? 'won' : field === 'stage' && entry?.kind === 'lost' ? 'lost' : 'near';
          match = { id: found.id, name: found.name, how: key === canonical(found.name) ? 'exact' : how };
        } else if (field === 'stage' && OPEN_WORDS.has(canonical(value)) && defaultPipeline) {
          const first = defaultPipeline.stages.find((s) => s.kind === 'open');
          if (first) match = { id: first.id, name: first.name, how: 'open' };
        } else if (CATALOG_FIELDS.has(field)) {
          action = 'create';
        }
      }
      if (action === 'create' && field === 'pipeline') action = 'map'; // pipelines are not created by imports
      if (action === 'create') {
        const key = `${field}:${canonical(value) || value}`;
        if (!creates.some((c) => c.key === key)) creates.push({ field, key, name: value.slice(0, 100) });
        map.set(value, { key });
      } else {
        map.set(value, match ? { id: match.id } : null);
      }
      summaries.push({ value, count: fieldCounts.get(value)!, match, action });
    }
    summaries.sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    values[field] = summaries.slice(0, VALUES_PER_FIELD);
    resolved.set(field, map);
  }
  const ref = (field: ReferenceField, value: unknown): RefId | null | undefined =>
    typeof value === 'string' && value ? resolved.get(field)?.get(value) : undefined;

  const instant = (date: string) => localTimeToInstant(date, 12, context.timezone);
  const scale = 10 ** (context.currencyDigits - 2);
  const issues: ImportIssue[] = [];
  const rows: PlannedRow[] = [];
  let skipped = 0;
  let warnings = 0;
  let first: number | null = null;
  let last: number | null = null;
  const seen = (t: number | undefined) => {
    if (t === undefined) return;
    if (first === null || t < first) first = t;
    if (last === null || t > last) last = t;
  };

  for (const row of normalized.rows) {
    const rowIssues: ImportIssue[] = [...row.issues];
    const warn = (field: string, value: string, code: ImportIssueCode, reason: string) =>
      rowIssues.push({ rowNumber: row.rowNumber, column: columnOf(field), value, reason, severity: 'warning', code });
    const v = row.values;
    const planned: PlannedRow = { n: row.rowNumber };
    if (v.externalId) planned.ext = v.externalId;
    if (!rowIssues.some((i) => i.severity === 'error')) {
      if (entity === 'opportunities') {
        planned.title = v.title;
        if (v.account) planned.account = v.account;
        if (v.contact) planned.contact = v.contact;
        const owner = ref('owner', v.owner);
        if (owner) planned.owner = owner;
        else if (v.owner) warn('owner', v.owner, 'unknown_owner', `No member is named “${v.owner}”; the opportunity goes to you (map it, or create a pending member).`);
        // Pipeline, then stage within it.
        const pipelineRef = ref('pipeline', v.pipeline);
        let pipeline = pipelineRef && 'id' in pipelineRef ? refs.pipelines.find((p) => p.id === pipelineRef.id) : undefined;
        if (!pipeline && v.pipeline) warn('pipeline', v.pipeline, 'unknown_pipeline', `No pipeline is named “${v.pipeline}”; the first pipeline is used.`);
        const stageRef = ref('stage', v.stage);
        let stageId: RefId | undefined;
        if (stageRef && 'id' in stageRef) {
          const stage = allStages.find((s) => s.id === stageRef.id)!;
          if (!pipeline) pipeline = refs.pipelines.find((p) => p.id === stage.pipelineId);
          if (stage.pipelineId === pipeline!.id) stageId = stageRef;
          else {
            const same = pipeline!.stages.find((s) => canonical(s.name) === canonical(stage.name) || (stage.kind !== 'open' && s.kind === stage.kind));
            if (same) stageId = { id: same.id };
          }
        } else if (stageRef) {
          stageId = stageRef; // a new open stage of the first pipeline
          pipeline ??= defaultPipeline;
        }
        pipeline ??= defaultPipeline;
        if (!pipeline) throw new Error('The workspace has no pipeline'); // checked by the caller
        const kindOf = (id: RefId | undefined) => (id && 'id' in id ? allStages.find((s) => s.id === id.id)?.kind : id ? 'open' : undefined);
        let status = v.status ?? kindOf(stageId) ?? 'open';
        if (v.status && v.status !== 'open' && kindOf(stageId) !== v.status) stageId = undefined;
        if (v.status === 'open' && stageId && kindOf(stageId) !== 'open') status = kindOf(stageId)!;
        if (!stageId) {
          const fallback = pipeline.stages.find((s) => s.kind === status) ?? pipeline.stages.find((s) => s.kind === 'open') ?? pipeline.stages[0];
          if (!fallback) throw new Error('The pipeline has no stage'); // every pipeline keeps one
          stageId = { id: fallback.id };
          status = fallback.kind;
          if (v.stage && !stageRef) warn('stage', v.stage, 'unknown_stage', `No stage is named “${v.stage}”; the row goes to ${fallback.name} (map it, or create the stage).`);
        }
        const firstOpen = pipeline.stages.find((s) => s.kind === 'open');
        planned.pipelineId = pipeline.id;
        planned.stage = stageId;
        planned.status = status;
        if (firstOpen) planned.firstStageId = firstOpen.id;
        for (const field of ['type', 'source', 'product'] as const) {
          const id = ref(field, v[field]);
          if (id) planned[field] = id;
          else if (v[field]) warn(field, v[field]!, 'unknown_value', `“${v[field]}” matches no entry; left empty.`);
        }
        if (status === 'lost') {
          const id = ref('lostReason', v.lostReason);
          if (id) planned.lostReason = id;
        }
        if (v.amount !== undefined) planned.amount = scale === 1 ? v.amount : Math.round(v.amount * scale);
        if (v.expectedCloseDate) planned.expectedCloseDate = v.expectedCloseDate;
        if (v.needs) planned.needs = v.needs;
        if (v.notes) planned.notes = v.notes;
        // Times for the history.
        const closedGiven = v.closedAt ? instant(v.closedAt) : undefined;
        const enteredGiven = v.stageEnteredAt ? instant(v.stageEnteredAt) : undefined;
        let created = v.createdAt ? instant(v.createdAt) : Math.min(context.now, closedGiven ?? Infinity, enteredGiven ?? Infinity);
        let closed: number | undefined;
        if (status !== 'open') closed = closedGiven ?? enteredGiven ?? context.now;
        if (closed !== undefined && closed < created) created = closed;
        let entered = closed ?? enteredGiven ?? created;
        if (entered < created) entered = created;
        planned.createdAt = created;
        planned.hasCreatedAt = Boolean(v.createdAt);
        if (closed !== undefined) planned.closedAt = closed;
        planned.stageEnteredAt = entered;
        seen(created);
        seen(entered);
      } else if (entity === 'accounts') {
        for (const field of ['name', 'industry', 'city', 'phone', 'website', 'notes'] as const) if (v[field]) planned[field] = v[field];
        const owner = ref('owner', v.owner);
        if (owner) planned.owner = owner;
        else if (v.owner) warn('owner', v.owner, 'unknown_owner', `No member is named “${v.owner}”; the account goes to you.`);
      } else {
        for (const field of ['name', 'account', 'jobTitle', 'phone', 'email', 'wechat'] as const) if (v[field]) planned[field] = v[field];
        if (v.isKey !== undefined) planned.isKey = v.isKey;
      }
      rows.push(planned);
    } else {
      skipped++;
    }
    if (rowIssues.some((i) => i.severity === 'warning')) warnings++;
    issues.push(...rowIssues);
  }

  const dateOf = (t: number | null) => (t === null ? null : localDate(t, context.timezone));
  return {
    headers: csv.headers,
    mapping,
    dateFormats: normalized.dateFormats,
    preset: suggested.preset,
    sample: csv.rows.slice(0, 5),
    values,
    creates,
    rows,
    issues,
    skipped,
    warnings,
    firstDate: dateOf(first),
    lastDate: dateOf(last),
  };
}
