/**
 * CSV imports of one tenant: the import record and its stored file, the reference data a file is
 * matched against, and the job's writes (worker/jobs/imports.ts drives them).
 *
 * The job's writes are chunks of IMPORT_CHUNK_ROWS rows. Each chunk is ONE atomic batch of a fixed
 * handful of statements (rows travel as one JSON parameter read with json_each, so D1's 100-parameter
 * limit never binds), every statement guarded by "this import is running and its next chunk is this
 * one", the last statement advancing the chunk. A redelivered or concurrent copy of a chunk message
 * therefore writes nothing, and a failed batch wrote nothing: the retry redoes exactly that chunk.
 * Rows are matched to existing records by external id (or by our own id, which our exports write
 * as externalId); new rows get ids derived from the import and the row number, so nothing can be
 * created twice.
 */
import { SQL, and, desc, eq, inArray, is, sql } from 'drizzle-orm';
import { generateNKeysBetween } from 'fractional-indexing';
import { encodeBase64, decodeBase64 } from '@oslojs/encoding';
import {
  accounts, activities, contacts, importChunks, importFiles, imports, lostReasons, memberships, opportunities, opportunityContacts,
  opportunityProducts, opportunityTypes, pipelines, products, sources, stageChanges, stages, users, type ImportStatus,
} from '../../db/schema';
import type { ImportEntity } from '../services/import';
import type { ImportRefs, NewReference, PlannedRow, RefId } from '../services/import-plan';
import { newId } from '../services/ids';
import { auditRepo } from './audit';
import { D1_MAX_STATEMENTS, runAtomically } from './batch';
import type { RepoScope } from './scope';
import { PENDING_EMAIL_DOMAIN } from './team';

/** A statement of an import batch: a drizzle query or raw SQL. */
type BatchItem = SQL | { toSQL(): { sql: string; params: unknown[] } };

/** Rows per job chunk: one atomic batch each. */
export const IMPORT_CHUNK_ROWS = 500;
/** Base64 characters per stored file part (D1 rows are capped at 2 MB). */
const FILE_PART_CHARS = 1_000_000;

export type ImportRecord = typeof imports.$inferSelect & { createdByName: string | null };

/** A planned row with every reference an id (owner may stay unset: the importing user). */
export type ChunkRow = Omit<PlannedRow, 'owner' | 'stage' | 'type' | 'source' | 'product' | 'lostReason'> & {
  ownerId?: string; stageId?: string; typeId?: string; sourceId?: string; productId?: string; lostReasonId?: string;
};

type Changes = { meta?: { changes?: number } };
const changes = (result: unknown) => (result as Changes | undefined)?.meta?.changes ?? 0;
const json = (value: unknown) => JSON.stringify(value);
const j = (field: string) => sql.raw(`json_extract(j.value, '$.${field}')`);

export function importRepo(scope: RepoScope) {
  const { db, tenantId } = scope;
  const audit = auditRepo(scope);
  const ours = (id: string) => and(eq(imports.tenantId, tenantId), eq(imports.id, id));

  async function get(id: string): Promise<ImportRecord | null> {
    const row = await db
      .select({ record: imports, createdByName: users.name })
      .from(imports)
      .leftJoin(users, eq(users.id, imports.createdBy))
      .where(ours(id))
      .get();
    return row ? { ...row.record, createdByName: row.createdByName } : null;
  }

  /** Which of `ids` already name a record of `entity`: by external id, or by our own id (our exports). */
  type Existing = { id: string; stageId: string | null; pipelineId: string | null; stageEnteredAt: number | null };
  async function existing(entity: ImportEntity, ids: string[]): Promise<Map<string, Existing>> {
    const found = new Map<string, Existing>();
    if (ids.length === 0) return found;
    const table = entity === 'opportunities' ? sql`opportunities` : entity === 'accounts' ? sql`accounts` : sql`contacts`;
    const stageColumns = entity === 'opportunities' ? sql`stage_id, pipeline_id, stage_entered_at` : sql`null as stage_id, null as pipeline_id, null as stage_entered_at`;
    for (let i = 0; i < ids.length; i += 20_000) {
      const list = json(ids.slice(i, i + 20_000));
      const rows = await db.all<{ id: string; external_id: string | null; stage_id: string | null; pipeline_id: string | null; stage_entered_at: number | null }>(sql`
        -- "+tenant_id" below keeps SQLite on the primary key for our ids instead of scanning the tenant's rows.
        select id, external_id, ${stageColumns} from ${table} where tenant_id = ${tenantId} and external_id in (select value from json_each(${list}))
        union all
        select id, external_id, ${stageColumns} from ${table} where +tenant_id = ${tenantId} and id in (select value from json_each(${list}))`);
      // An external id wins over our id: a file of another CRM could hold an id that looks like ours.
      const record = (row: (typeof rows)[number]): Existing => ({ id: row.id, stageId: row.stage_id, pipelineId: row.pipeline_id, stageEnteredAt: row.stage_entered_at });
      for (const row of rows) if (!found.has(row.id) || row.external_id === null) found.set(row.id, record(row));
      for (const row of rows) if (row.external_id !== null) found.set(row.external_id, record(row));
    }
    return found;
  }

  const running = (importId: string, chunk: number) =>
    sql`exists (select 1 from ${imports} where ${imports.tenantId} = ${tenantId} and ${imports.id} = ${importId} and ${imports.status} = 'running' and ${imports.nextChunk} = ${chunk})`;
  const queued = (importId: string) => sql`exists (select 1 from ${imports} where ${imports.tenantId} = ${tenantId} and ${imports.id} = ${importId} and ${imports.status} = 'queued')`;

  return {
    get,

    /** Newest first (at most 100). */
    async list() {
      const rows = await db
        .select({ record: imports, createdByName: users.name })
        .from(imports)
        .leftJoin(users, eq(users.id, imports.createdBy))
        .where(eq(imports.tenantId, tenantId))
        .orderBy(desc(imports.createdAt), desc(imports.id))
        .limit(100)
        .all();
      return rows.map((r) => ({ ...r.record, createdByName: r.createdByName }));
    },

    /** Pipelines with stages, members, and the catalogs: what file values are matched against. */
    async refs(): Promise<ImportRefs> {
      const [pipelineRows, stageRows, memberRows, types, sourceRows, reasons, productRows] = await db.batch([
        db.select({ id: pipelines.id, name: pipelines.name }).from(pipelines).where(and(eq(pipelines.tenantId, tenantId), sql`${pipelines.archivedAt} is null`)).orderBy(pipelines.position, pipelines.id),
        db.select({ id: stages.id, name: stages.name, kind: stages.kind, pipelineId: stages.pipelineId }).from(stages).where(eq(stages.tenantId, tenantId)).orderBy(stages.position, stages.id),
        db.select({ id: users.id, name: users.name, email: users.email }).from(memberships).innerJoin(users, eq(users.id, memberships.userId)).where(eq(memberships.tenantId, tenantId)).orderBy(users.name, users.id),
        db.select({ id: opportunityTypes.id, name: opportunityTypes.name }).from(opportunityTypes).where(and(eq(opportunityTypes.tenantId, tenantId), sql`${opportunityTypes.archivedAt} is null`)).orderBy(opportunityTypes.position),
        db.select({ id: sources.id, name: sources.name }).from(sources).where(and(eq(sources.tenantId, tenantId), sql`${sources.archivedAt} is null`)).orderBy(sources.position),
        db.select({ id: lostReasons.id, name: lostReasons.name }).from(lostReasons).where(and(eq(lostReasons.tenantId, tenantId), sql`${lostReasons.archivedAt} is null`)).orderBy(lostReasons.position),
        db.select({ id: products.id, name: products.name }).from(products).where(and(eq(products.tenantId, tenantId), sql`${products.archivedAt} is null`)).orderBy(products.position),
      ]);
      return {
        pipelines: pipelineRows.map((p) => ({ ...p, stages: stageRows.filter((s) => s.pipelineId === p.id).map(({ id, name, kind }) => ({ id, name, kind })) })),
        members: memberRows,
        type: types,
        source: sourceRows,
        lostReason: reasons,
        product: productRows,
      };
    },

    /** How many of the file's external ids name existing records (the preview's "update"). */
    async countExisting(entity: ImportEntity, ids: string[]): Promise<Set<string>> {
      const found = await existing(entity, [...new Set(ids)]);
      return new Set(ids.filter((id) => found.has(id)));
    },

    /** Stores a new import (status preview) with its file, in one batch. */
    async create(record: Omit<typeof imports.$inferInsert, 'tenantId' | 'fileParts' | 'fileBytes'>, file: Uint8Array): Promise<void> {
      const data = encodeBase64(file);
      const parts: string[] = [];
      for (let i = 0; i < data.length; i += FILE_PART_CHARS) parts.push(data.slice(i, i + FILE_PART_CHARS));
      if (parts.length === 0) parts.push('');
      await runAtomically(db, [
        db.insert(imports).values({ ...record, tenantId, fileParts: parts.length, fileBytes: file.length }),
        ...parts.map((part, index) => db.insert(importFiles).values({ tenantId, importId: record.id, part: index, data: part })),
      ]);
    },

    async readFile(id: string): Promise<Uint8Array | null> {
      const parts = await db.select({ data: importFiles.data }).from(importFiles).where(and(eq(importFiles.tenantId, tenantId), eq(importFiles.importId, id))).orderBy(importFiles.part).all();
      if (parts.length === 0) return null;
      return decodeBase64(parts.map((p) => p.data).join(''));
    },

    /** A new dry run's options and answer; false unless the import is still a preview. */
    async savePreview(id: string, values: Pick<typeof imports.$inferInsert, 'mapping' | 'valueMap' | 'dateFormats' | 'preview' | 'rowCount'>, now: number): Promise<boolean> {
      const result = await db.update(imports).set({ ...values, updatedAt: now }).where(and(ours(id), eq(imports.status, 'preview'))).run();
      return changes(result) > 0;
    },

    /** preview → queued with the options to import with, and its audit row; false if it was not a preview. */
    async queue(id: string, values: Pick<typeof imports.$inferInsert, 'mapping' | 'valueMap' | 'dateFormats'>, actor: { userId: string; now: number }, summary: unknown): Promise<boolean> {
      const [result] = await db.batch([
        db.update(imports).set({ ...values, status: 'queued', updatedAt: actor.now }).where(and(ours(id), eq(imports.status, 'preview'))),
        audit.entryWhere(
          { actorUserId: actor.userId, action: 'import', entityType: 'import', entityId: id, after: summary, at: actor.now },
          sql`exists (select 1 from ${imports} where ${imports.tenantId} = ${tenantId} and ${imports.id} = ${id} and ${imports.status} = 'queued' and ${imports.updatedAt} = ${actor.now})`,
        ),
      ]);
      return changes(result) > 0;
    },

    /** done|failed → undoing, with its audit row; false otherwise. An undo that stopped (its step kept failing) may be started again. */
    async startUndo(id: string, actor: { userId: string; now: number }, summary: unknown): Promise<boolean> {
      const [result] = await db.batch([
        db.update(imports).set({ status: 'undoing', error: null, updatedAt: actor.now }).where(and(ours(id), inArray(imports.status, ['done', 'failed', 'undoing']))),
        audit.entryWhere(
          { actorUserId: actor.userId, action: 'undo', entityType: 'import', entityId: id, before: summary, at: actor.now },
          sql`exists (select 1 from ${imports} where ${imports.tenantId} = ${tenantId} and ${imports.id} = ${id} and ${imports.status} = 'undoing' and ${imports.updatedAt} = ${actor.now})`,
        ),
      ]);
      return changes(result) > 0;
    },

    /** Records why an undo stopped (it stays undoing; DELETE starts it again). */
    async noteUndoError(id: string, error: string, now: number): Promise<void> {
      await db.update(imports).set({ error: error.slice(0, 500), updatedAt: now }).where(and(ours(id), eq(imports.status, 'undoing'))).run();
    },

    async markFailed(id: string, error: string, now: number): Promise<void> {
      await db
        .update(imports)
        .set({ status: 'failed', error: error.slice(0, 500), finishedAt: now, updatedAt: now, failed: sql`max(0, ${imports.rowCount} - ${imports.skipped} - ${imports.progressDone})` })
        .where(and(ours(id), inArray(imports.status, ['queued', 'running'])))
        .run();
    },

    /**
     * The job's first step, atomic: creates the entries the plan needs (catalog entries, open stages,
     * pending members), stores the rows resolved to ids in chunks, and moves queued → running (or done
     * when nothing is left to write). Guarded by status queued: a second delivery writes nothing.
     */
    async prepare(
      record: ImportRecord,
      plan: { rows: PlannedRow[]; creates: NewReference[]; skipped: number; firstDate: string | null; lastDate: string | null; locale: string; firstPipelineId: string | null },
      now: number,
    ): Promise<boolean> {
      const importId = record.id;
      const guard = queued(importId);
      const ids = new Map<string, string>();
      const createdRefs: { table: string; id: string }[] = [];
      const statements: BatchItem[] = [];
      const byField = (field: NewReference['field']) => plan.creates.filter((c) => c.field === field);

      const catalogTables = { type: 'opportunity_types', source: 'sources', lostReason: 'lost_reasons', product: 'products' } as const;
      for (const [field, table] of Object.entries(catalogTables) as [keyof typeof catalogTables, string][]) {
        const entries = byField(field).map((c) => ({ id: newId(), name: c.name, key: c.key }));
        if (entries.length === 0) continue;
        for (const e of entries) {
          ids.set(e.key, e.id);
          createdRefs.push({ table, id: e.id });
        }
        const name = sql.raw(table);
        statements.push((sql`
          insert into ${name} (id, tenant_id, name, position, created_at)
          select ${j('id')}, ${tenantId}, ${j('name')}, (select coalesce(max(position), -1) + 1 from ${name} where tenant_id = ${tenantId}) + j.key, ${now}
          from json_each(${json(entries)}) j where ${guard}`));
      }
      const newStages = byField('stage').map((c) => ({ id: newId(), name: c.name, key: c.key }));
      // New open stages go into the first pipeline (as read for the plan).
      const pipelineId = plan.firstPipelineId;
      if (newStages.length && pipelineId) {
        const lastOpen = sql`(select coalesce(max(position), -1) from ${stages} where tenant_id = ${tenantId} and pipeline_id = ${pipelineId} and kind = 'open')`;
        // New open stages go after the last open one; won/lost stages move down to make room.
        statements.push((sql`update ${stages} set position = position + ${newStages.length} where tenant_id = ${tenantId} and pipeline_id = ${pipelineId} and position > ${lastOpen} and ${guard}`));
        statements.push((sql`
          insert into ${stages} (id, tenant_id, pipeline_id, name, position, probability, kind, stale_after_days, required_fields, created_at)
          select ${j('id')}, ${tenantId}, ${pipelineId}, ${j('name')}, ${lastOpen} + 1 + j.key, 10, 'open', null, '[]', ${now}
          from json_each(${json(newStages)}) j where ${guard}`));
        for (const s of newStages) {
          ids.set(s.key, s.id);
          createdRefs.push({ table: 'stages', id: s.id });
        }
      }
      const owners = byField('owner').map((c) => ({ id: newId(), name: c.name.slice(0, 200), key: c.key }));
      if (owners.length) {
        // Pending members: no password (they cannot log in) and a placeholder address; invite them later.
        statements.push((sql`
          insert into ${users} (id, email, name, password_hash, locale, password_changed_at, created_at, updated_at)
          select ${j('id')}, 'pending-' || ${j('id')} || ${PENDING_EMAIL_DOMAIN}, ${j('name')}, null, ${plan.locale}, null, ${now}, ${now}
          from json_each(${json(owners)}) j where ${guard}`));
        statements.push((sql`
          insert into ${memberships} (tenant_id, user_id, role, created_at)
          select ${tenantId}, ${j('id')}, 'member', ${now} from json_each(${json(owners)}) j where ${guard}`));
        for (const o of owners) {
          ids.set(o.key, o.id);
          createdRefs.push({ table: 'users', id: o.id });
        }
      }

      const idOf = (ref: RefId | undefined) => (ref === undefined ? undefined : 'id' in ref ? ref.id : ids.get(ref.key));
      const rows: ChunkRow[] = plan.rows.map(({ owner, stage, type, source, product, lostReason, ...rest }) => {
        const row: ChunkRow = { ...rest };
        const set = (key: 'ownerId' | 'stageId' | 'typeId' | 'sourceId' | 'productId' | 'lostReasonId', value: string | undefined) => {
          if (value !== undefined) row[key] = value;
        };
        set('ownerId', idOf(owner));
        set('stageId', idOf(stage));
        set('typeId', idOf(type));
        set('sourceId', idOf(source));
        set('productId', idOf(product));
        set('lostReasonId', idOf(lostReason));
        // A stage the workspace lacks (no pipeline to create it in): the pipeline's first stage.
        if (row.pipelineId && !row.stageId) row.stageId = row.firstStageId;
        return row;
      });
      const chunkCount = Math.ceil(rows.length / IMPORT_CHUNK_ROWS);
      statements.push(db.delete(importChunks).where(and(eq(importChunks.tenantId, tenantId), eq(importChunks.importId, importId))));
      for (let c = 0; c < chunkCount; c++) {
        statements.push(db.insert(importChunks).values({ tenantId, importId, chunk: c, rows: json(rows.slice(c * IMPORT_CHUNK_ROWS, (c + 1) * IMPORT_CHUNK_ROWS)) }));
      }
      statements.push(
        db
          .update(imports)
          .set({
            status: chunkCount === 0 ? 'done' : 'running', chunkCount, nextChunk: 0, progressDone: 0, created: 0, updated: 0,
            skipped: plan.skipped, rowCount: plan.rows.length + plan.skipped, createdRefs, firstDate: plan.firstDate, lastDate: plan.lastDate,
            updatedAt: now, finishedAt: chunkCount === 0 ? now : null,
          })
          .where(and(ours(importId), eq(imports.status, 'queued'))),
      );
      const results = await batch(statements);
      return changes(results.at(-1)) > 0;
    },

    /**
     * Writes chunk `chunk` of a running import in one atomic batch. Returns null when the chunk was
     * already written (or the import is not running), else whether the import is now done.
     */
    async writeChunk(record: ImportRecord, chunk: number, now: number): Promise<{ done: boolean; written: number } | null> {
      const importId = record.id;
      const stored = await db.select({ rows: importChunks.rows }).from(importChunks).where(and(eq(importChunks.tenantId, tenantId), eq(importChunks.importId, importId), eq(importChunks.chunk, chunk))).get();
      if (!stored) return null;
      const rows = JSON.parse(stored.rows) as ChunkRow[];
      const guard = running(importId, chunk);
      const found = await existing(record.entity, rows.flatMap((r) => (r.ext ? [r.ext] : [])));

      // Create or update; a file naming one external id twice updates what its first row made.
      const createdByExt = new Map<string, string>();
      type Planned = ChunkRow & { id: string; existingStageId?: string | null; existingEnteredAt?: number | null };
      const creates: Planned[] = [];
      const updates = new Map<string, Planned>();
      let created = 0;
      let updated = 0;
      for (const row of rows) {
        const target = row.ext ? found.get(row.ext) : undefined;
        const madeHere = row.ext ? createdByExt.get(row.ext) : undefined;
        if (target) {
          updated++;
          updates.set(target.id, { ...updates.get(target.id), ...row, id: target.id, existingStageId: target.stageId, existingEnteredAt: target.stageEnteredAt });
        } else if (madeHere) {
          updated++;
          const index = creates.findIndex((c) => c.id === madeHere);
          creates[index] = { ...creates[index]!, ...row, id: madeHere };
        } else {
          created++;
          const id = `${importId}r${row.n}`;
          if (row.ext) createdByExt.set(row.ext, id);
          creates.push({ ...row, id });
        }
      }

      const statements: BatchItem[] = [];
      const entity = record.entity;
      // Accounts named by the rows and missing in the workspace are created (first mention's owner).
      const accountNames = new Map<string, { id: string; name: string; ownerId: string }>();
      for (const row of [...creates, ...updates.values()]) {
        if (row.account && !accountNames.has(row.account)) accountNames.set(row.account, { id: `${importId}a${row.n}`, name: row.account, ownerId: row.ownerId ?? record.createdBy });
      }
      if (accountNames.size) {
        statements.push((sql`
          insert into ${accounts} (id, tenant_id, name, owner_id, version, created_at, updated_at, import_id)
          select ${j('id')}, ${tenantId}, ${j('name')}, ${j('ownerId')}, 1, ${now}, ${now}, ${importId}
          from json_each(${json([...accountNames.values()])}) j
          where ${guard} and not exists (select 1 from ${accounts} a where a.tenant_id = ${tenantId} and a.name = ${j('name')})`));
      }
      const accountOf = (expression: SQL) => sql`(select a.id from ${accounts} a where a.tenant_id = ${tenantId} and a.name = ${expression} order by a.created_at, a.id limit 1)`;

      if (entity === 'opportunities') {
        // Positions at the end of each stage's column for new rows and rows that change stage.
        const moving = [...updates.values()].filter((u) => u.stageId && u.stageId !== u.existingStageId);
        const stageIds = [...new Set([...creates, ...moving].map((r) => r.stageId!))];
        const tails = new Map<string, string | null>();
        if (stageIds.length) {
          // One max() per stage, so each is a single index seek (a GROUP BY would scan every card of the stages).
          const rowsMax = await db.all<{ stage_id: string; last: string | null }>(sql`
            select j.value as stage_id, (select max(o.position) from ${opportunities} o where o.tenant_id = ${tenantId} and o.stage_id = j.value) as last
            from json_each(${json(stageIds)}) j`);
          for (const r of rowsMax) tails.set(r.stage_id, r.last);
        }
        const positions = new Map<string, string[]>();
        for (const stageId of stageIds) {
          const count = [...creates, ...moving].filter((r) => r.stageId === stageId).length;
          positions.set(stageId, generateNKeysBetween(tails.get(stageId) ?? null, null, count));
        }
        const nextPosition = (stageId: string) => positions.get(stageId)!.shift()!;

        const history: { id: string; opportunityId: string; pipelineId: string; from: string | null; to: string; at: number; amount: number | null }[] = [];
        const createRows = creates.map((r) => {
          const at = r.createdAt ?? now;
          const entered = r.stageEnteredAt ?? at;
          const first = r.firstStageId && r.firstStageId !== r.stageId ? r.firstStageId : null;
          history.push({ id: `${r.id}h0`, opportunityId: r.id, pipelineId: r.pipelineId!, from: null, to: first ?? r.stageId!, at, amount: r.amount ?? null });
          if (first) history.push({ id: `${r.id}h1`, opportunityId: r.id, pipelineId: r.pipelineId!, from: first, to: r.stageId!, at: entered, amount: r.amount ?? null });
          return {
            id: r.id, ext: r.ext ?? null, pipelineId: r.pipelineId, stageId: r.stageId, title: r.title, account: r.account ?? null, contact: r.contact ?? null,
            ownerId: r.ownerId ?? record.createdBy, typeId: r.typeId ?? null, sourceId: r.sourceId ?? null, amount: r.amount ?? null,
            expectedCloseDate: r.expectedCloseDate ?? null, needs: r.needs ?? null, notes: r.notes ?? null, status: r.status ?? 'open',
            lostReasonId: r.status === 'lost' ? (r.lostReasonId ?? null) : null, closedAt: r.status === 'open' ? null : (r.closedAt ?? entered),
            position: nextPosition(r.stageId!), stageEnteredAt: entered, createdAt: at,
          };
        });
        const updateRows = [...updates.values()].map((r) => {
          const move = Boolean(r.stageId && r.stageId !== r.existingStageId);
          // Never before the card's own last move: the history must stay in order, or "which stage at
          // the end of a day" would pick the old one.
          const entered = Math.max(r.stageEnteredAt ?? now, (r.existingEnteredAt ?? 0) + 1);
          if (move) history.push({ id: `${importId}u${r.n}`, opportunityId: r.id, pipelineId: r.pipelineId!, from: r.existingStageId ?? null, to: r.stageId!, at: entered, amount: r.amount ?? null });
          return {
            id: r.id, ext: r.ext ?? null, title: r.title ?? null, account: r.account ?? null, contact: r.contact ?? null, ownerId: r.ownerId ?? null,
            typeId: r.typeId ?? null, sourceId: r.sourceId ?? null, amount: r.amount ?? null, expectedCloseDate: r.expectedCloseDate ?? null,
            needs: r.needs ?? null, notes: r.notes ?? null, createdAt: r.hasCreatedAt ? (r.createdAt ?? null) : null,
            stageId: move ? r.stageId : null, pipelineId: move ? r.pipelineId : null, status: move ? (r.status ?? 'open') : null,
            position: move ? nextPosition(r.stageId!) : null, stageEnteredAt: move ? entered : null, closedAt: move && r.status !== 'open' ? (r.closedAt ?? entered) : null,
            lostReasonId: r.lostReasonId ?? null,
          };
        });
        if (createRows.length) {
          statements.push((sql`
            insert into ${opportunities} (id, tenant_id, pipeline_id, stage_id, title, account_id, primary_contact_id, owner_id, type_id, source_id, amount,
              expected_close_date, probability_override, needs, notes, status, lost_reason_id, closed_at, position, version, stage_entered_at,
              last_activity_at, next_activity_at, created_by, created_at, updated_at, import_id, external_id)
            select ${j('id')}, ${tenantId}, ${j('pipelineId')}, ${j('stageId')}, ${j('title')}, ${accountOf(j('account'))},
              (select c.id from ${contacts} c where c.tenant_id = ${tenantId} and c.name = ${j('contact')} order by c.created_at, c.id limit 1),
              ${j('ownerId')}, ${j('typeId')}, ${j('sourceId')}, ${j('amount')}, ${j('expectedCloseDate')}, null, ${j('needs')}, ${j('notes')},
              ${j('status')}, ${j('lostReasonId')}, ${j('closedAt')}, ${j('position')}, 1, ${j('stageEnteredAt')}, null, null, ${record.createdBy},
              ${j('createdAt')}, ${now}, ${importId}, ${j('ext')}
            from json_each(${json(createRows)}) j where ${guard}`));
        }
        if (updateRows.length) {
          // Values the file leaves out are kept (coalesce); a stage change moves the card to the end of its new column.
          statements.push((sql`
            with r as materialized (select ${j('id')} as id, ${j('ext')} as ext, ${j('title')} as title, ${j('account')} as account, ${j('contact')} as contact,
                    ${j('ownerId')} as owner_id, ${j('typeId')} as type_id, ${j('sourceId')} as source_id, ${j('amount')} as amount,
                    ${j('expectedCloseDate')} as expected_close_date, ${j('needs')} as needs, ${j('notes')} as notes, ${j('createdAt')} as created_at,
                    ${j('pipelineId')} as pipeline_id, ${j('stageId')} as stage_id, ${j('position')} as position, ${j('status')} as status,
                    ${j('stageEnteredAt')} as stage_entered_at, ${j('closedAt')} as closed_at, ${j('lostReasonId')} as lost_reason_id
                  from json_each(${json(updateRows)}) j)
            update ${opportunities} set
              title = coalesce(r.title, opportunities.title),
              account_id = coalesce(${accountOf(sql`r.account`)}, opportunities.account_id),
              primary_contact_id = coalesce((select c.id from ${contacts} c where c.tenant_id = ${tenantId} and c.name = r.contact order by c.created_at, c.id limit 1), opportunities.primary_contact_id),
              owner_id = coalesce(r.owner_id, opportunities.owner_id), type_id = coalesce(r.type_id, opportunities.type_id),
              source_id = coalesce(r.source_id, opportunities.source_id), amount = coalesce(r.amount, opportunities.amount),
              expected_close_date = coalesce(r.expected_close_date, opportunities.expected_close_date),
              needs = coalesce(r.needs, opportunities.needs), notes = coalesce(r.notes, opportunities.notes),
              created_at = coalesce(r.created_at, opportunities.created_at),
              pipeline_id = coalesce(r.pipeline_id, opportunities.pipeline_id), stage_id = coalesce(r.stage_id, opportunities.stage_id),
              position = coalesce(r.position, opportunities.position), status = coalesce(r.status, opportunities.status),
              stage_entered_at = coalesce(r.stage_entered_at, opportunities.stage_entered_at),
              closed_at = case when r.stage_id is null then opportunities.closed_at else r.closed_at end,
              lost_reason_id = case when coalesce(r.status, opportunities.status) = 'lost' then coalesce(r.lost_reason_id, opportunities.lost_reason_id) else null end,
              external_id = coalesce(opportunities.external_id, case when r.ext = opportunities.id then null else r.ext end),
              version = opportunities.version + 1, updated_at = ${now}
            from r
            where opportunities.tenant_id = ${tenantId} and opportunities.id in (select id from r) and opportunities.id = r.id and ${guard}`));
        }
        if (history.length) {
          statements.push((sql`
            insert into ${stageChanges} (id, tenant_id, opportunity_id, pipeline_id, from_stage_id, to_stage_id, changed_at, changed_by, amount, import_id)
            select ${j('id')}, ${tenantId}, ${j('opportunityId')}, ${j('pipelineId')}, ${j('from')}, ${j('to')}, ${j('at')}, ${record.createdBy}, ${j('amount')}, ${importId}
            from json_each(${json(history)}) j where ${guard}`));
        }
        const lines = creates.filter((r) => r.productId).map((r) => ({ id: `${r.id}p`, opportunityId: r.id, productId: r.productId, unitPrice: r.amount ?? 0 }));
        if (lines.length) {
          statements.push((sql`
            insert into ${opportunityProducts} (id, tenant_id, opportunity_id, product_id, quantity, unit_price)
            select ${j('id')}, ${tenantId}, ${j('opportunityId')}, ${j('productId')}, 1, ${j('unitPrice')} from json_each(${json(lines)}) j where ${guard}`));
        }
      } else if (entity === 'accounts') {
        const fields = (r: Planned) => ({ id: r.id, ext: r.ext ?? null, name: r.name ?? null, industry: r.industry ?? null, city: r.city ?? null, phone: r.phone ?? null, website: r.website ?? null, notes: r.notes ?? null, ownerId: r.ownerId ?? null });
        if (creates.length) {
          statements.push((sql`
            insert into ${accounts} (id, tenant_id, name, industry, city, phone, website, owner_id, notes, version, created_at, updated_at, import_id, external_id)
            select ${j('id')}, ${tenantId}, ${j('name')}, ${j('industry')}, ${j('city')}, ${j('phone')}, ${j('website')}, coalesce(${j('ownerId')}, ${record.createdBy}), ${j('notes')}, 1, ${now}, ${now}, ${importId}, ${j('ext')}
            from json_each(${json(creates.map(fields))}) j where ${guard}`));
        }
        if (updates.size) {
          statements.push((sql`
            with r as materialized (select ${j('id')} as id, ${j('ext')} as ext, ${j('name')} as name, ${j('industry')} as industry, ${j('city')} as city, ${j('phone')} as phone,
                    ${j('website')} as website, ${j('notes')} as notes, ${j('ownerId')} as owner_id from json_each(${json([...updates.values()].map(fields))}) j)
            update ${accounts} set name = coalesce(r.name, accounts.name), industry = coalesce(r.industry, accounts.industry), city = coalesce(r.city, accounts.city),
              phone = coalesce(r.phone, accounts.phone), website = coalesce(r.website, accounts.website), notes = coalesce(r.notes, accounts.notes),
              owner_id = coalesce(r.owner_id, accounts.owner_id), external_id = coalesce(accounts.external_id, case when r.ext = accounts.id then null else r.ext end),
              version = accounts.version + 1, updated_at = ${now}
            from r
            where accounts.tenant_id = ${tenantId} and accounts.id in (select id from r) and accounts.id = r.id and ${guard}`));
        }
      } else {
        const fields = (r: Planned) => ({ id: r.id, ext: r.ext ?? null, name: r.name ?? null, account: r.account ?? null, title: r.jobTitle ?? null, phone: r.phone ?? null, email: r.email ?? null, wechat: r.wechat ?? null, isKey: r.isKey === undefined ? null : r.isKey ? 1 : 0 });
        if (creates.length) {
          statements.push((sql`
            insert into ${contacts} (id, tenant_id, account_id, name, title, phone, email, wechat, is_key, version, created_at, updated_at, import_id, external_id)
            select ${j('id')}, ${tenantId}, ${accountOf(j('account'))}, ${j('name')}, ${j('title')}, ${j('phone')}, ${j('email')}, ${j('wechat')}, coalesce(${j('isKey')}, 0), 1, ${now}, ${now}, ${importId}, ${j('ext')}
            from json_each(${json(creates.map(fields))}) j where ${guard}`));
        }
        if (updates.size) {
          statements.push((sql`
            with r as materialized (select ${j('id')} as id, ${j('ext')} as ext, ${j('name')} as name, ${j('account')} as account, ${j('title')} as title, ${j('phone')} as phone,
                    ${j('email')} as email, ${j('wechat')} as wechat, ${j('isKey')} as is_key from json_each(${json([...updates.values()].map(fields))}) j)
            update ${contacts} set name = coalesce(r.name, contacts.name), account_id = coalesce(${accountOf(sql`r.account`)}, contacts.account_id),
              title = coalesce(r.title, contacts.title), phone = coalesce(r.phone, contacts.phone), email = coalesce(r.email, contacts.email),
              wechat = coalesce(r.wechat, contacts.wechat), is_key = coalesce(r.is_key, contacts.is_key),
              external_id = coalesce(contacts.external_id, case when r.ext = contacts.id then null else r.ext end), version = contacts.version + 1, updated_at = ${now}
            from r
            where contacts.tenant_id = ${tenantId} and contacts.id in (select id from r) and contacts.id = r.id and ${guard}`));
        }
      }

      // The chunk's stored rows go, and the progress moves on: last, so every statement above saw the guard hold.
      statements.push((sql`delete from ${importChunks} where tenant_id = ${tenantId} and import_id = ${importId} and chunk = ${chunk} and ${guard}`));
      const last = chunk + 1 >= record.chunkCount;
      statements.push(
        db
          .update(imports)
          .set({
            nextChunk: chunk + 1, progressDone: sql`${imports.progressDone} + ${rows.length}`, created: sql`${imports.created} + ${created}`,
            updated: sql`${imports.updated} + ${updated}`, updatedAt: now, ...(last ? { status: 'done' as ImportStatus, finishedAt: now } : {}),
          })
          .where(and(ours(importId), eq(imports.status, 'running'), eq(imports.nextChunk, chunk))),
      );
      const results = await batch(statements);
      if (changes(results.at(-1)) === 0) return null;
      return { done: last, written: rows.length };
    },

    /**
     * One undo step, atomic: removes up to IMPORT_CHUNK_ROWS of what the import created (its
     * opportunities with their history, lines, links and follow-ups; then its contacts; then its
     * accounts, unlinking other records from them), or — when nothing is left — the entries it
     * created that nothing uses any more, and marks it undone. Returns true when finished.
     */
    async undoStep(importId: string, now: number): Promise<boolean> {
      const undoing = sql`exists (select 1 from ${imports} where ${imports.tenantId} = ${tenantId} and ${imports.id} = ${importId} and ${imports.status} = 'undoing')`;
      // Whether anything is left, not how much: a count would read every remaining row at each step.
      const [opps, cons, accs] = await db.batch([
        db.select({ n: sql<number>`1` }).from(opportunities).where(and(eq(opportunities.tenantId, tenantId), eq(opportunities.importId, importId))).limit(1),
        db.select({ n: sql<number>`1` }).from(contacts).where(and(eq(contacts.tenantId, tenantId), eq(contacts.importId, importId))).limit(1),
        db.select({ n: sql<number>`1` }).from(accounts).where(and(eq(accounts.tenantId, tenantId), eq(accounts.importId, importId))).limit(1),
      ]);
      const limit = IMPORT_CHUNK_ROWS;
      if ((opps[0]?.n ?? 0) > 0) {
        const batchIds = sql`(select id from ${opportunities} where tenant_id = ${tenantId} and import_id = ${importId} order by id limit ${limit})`;
        await batch([
          (sql`delete from ${stageChanges} where tenant_id = ${tenantId} and opportunity_id in ${batchIds} and ${undoing}`),
          (sql`delete from ${opportunityProducts} where tenant_id = ${tenantId} and opportunity_id in ${batchIds} and ${undoing}`),
          (sql`delete from ${opportunityContacts} where tenant_id = ${tenantId} and opportunity_id in ${batchIds} and ${undoing}`),
          (sql`delete from ${activities} where tenant_id = ${tenantId} and opportunity_id in ${batchIds} and ${undoing}`),
          (sql`delete from ${opportunities} where +tenant_id = ${tenantId} and id in ${batchIds} and ${undoing}`),
        ]);
        return false;
      }
      if ((cons[0]?.n ?? 0) > 0) {
        const batchIds = sql`(select id from ${contacts} where tenant_id = ${tenantId} and import_id = ${importId} order by id limit ${limit})`;
        await batch([
          (sql`update ${opportunities} set primary_contact_id = null where tenant_id = ${tenantId} and primary_contact_id in ${batchIds} and ${undoing}`),
          (sql`delete from ${opportunityContacts} where tenant_id = ${tenantId} and contact_id in ${batchIds} and ${undoing}`),
          (sql`delete from ${contacts} where +tenant_id = ${tenantId} and id in ${batchIds} and ${undoing}`),
        ]);
        return false;
      }
      if ((accs[0]?.n ?? 0) > 0) {
        const batchIds = sql`(select id from ${accounts} where tenant_id = ${tenantId} and import_id = ${importId} order by id limit ${limit})`;
        await batch([
          (sql`update ${opportunities} set account_id = null where tenant_id = ${tenantId} and account_id in ${batchIds} and ${undoing}`),
          (sql`update ${contacts} set account_id = null where tenant_id = ${tenantId} and account_id in ${batchIds} and ${undoing}`),
          (sql`delete from ${accounts} where +tenant_id = ${tenantId} and id in ${batchIds} and ${undoing}`),
        ]);
        return false;
      }
      const record = await get(importId);
      if (!record || record.status !== 'undoing') return true;
      const refs = record.createdRefs;
      const list = (table: string) => json(refs.filter((r) => r.table === table).map((r) => r.id));
      const unused = (column: string) => sql`not exists (select 1 from ${opportunities} o where o.tenant_id = ${tenantId} and o.${sql.raw(column)} = t.id)`;
      const statements: BatchItem[] = [];
      for (const [table, column] of [['opportunity_types', 'type_id'], ['sources', 'source_id'], ['lost_reasons', 'lost_reason_id']] as const) {
        statements.push((sql`delete from ${sql.raw(table)} as t where t.tenant_id = ${tenantId} and t.id in (select value from json_each(${list(table)})) and ${unused(column)} and ${undoing}`));
      }
      statements.push((sql`delete from products as t where t.tenant_id = ${tenantId} and t.id in (select value from json_each(${list('products')})) and not exists (select 1 from ${opportunityProducts} l where l.tenant_id = ${tenantId} and l.product_id = t.id) and ${undoing}`));
      statements.push((sql`delete from ${stages} as t where t.tenant_id = ${tenantId} and t.id in (select value from json_each(${list('stages')})) and ${unused('stage_id')}
        and not exists (select 1 from ${stageChanges} c where c.tenant_id = ${tenantId} and (c.to_stage_id = t.id or c.from_stage_id = t.id)) and ${undoing}`));
      // Pending members the import created and nothing belongs to any more (never logged in: no password).
      const removableUsers = sql`(select t.id from ${users} t where t.id in (select value from json_each(${list('users')})) and t.password_hash is null
        and not exists (select 1 from ${opportunities} o where o.tenant_id = ${tenantId} and o.owner_id = t.id)
        and not exists (select 1 from ${accounts} a where a.tenant_id = ${tenantId} and a.owner_id = t.id)
        and not exists (select 1 from ${activities} x where x.tenant_id = ${tenantId} and x.owner_id = t.id))`;
      statements.push((sql`delete from ${memberships} where tenant_id = ${tenantId} and user_id in ${removableUsers} and ${undoing}`));
      statements.push((sql`delete from ${users} where id in ${removableUsers} and not exists (select 1 from ${memberships} m where m.user_id = users.id) and ${undoing}`));
      statements.push(db.delete(importChunks).where(and(eq(importChunks.tenantId, tenantId), eq(importChunks.importId, importId))));
      statements.push(db.update(imports).set({ status: 'undone', updatedAt: now }).where(and(ours(importId), eq(imports.status, 'undoing'))));
      await batch(statements);
      return true;
    },
  };

  /**
   * One atomic D1 batch of drizzle queries and raw SQL. (drizzle's own batch cannot run raw SQL with
   * parameters, which the json_each statements are.) Goes through the database's own client, so a
   * test's failing binding fails it like any other write.
   */
  async function batch(items: BatchItem[]): Promise<D1Result[]> {
    if (items.length === 0) return [];
    if (items.length > D1_MAX_STATEMENTS) throw new Error(`A batch of ${items.length} statements exceeds D1's limit of ${D1_MAX_STATEMENTS}`);
    const internals = db as unknown as { $client: D1Database; dialect: { sqlToQuery(query: SQL): { sql: string; params: unknown[] } } };
    const statements = items.map((item) => {
      const query = is(item, SQL) ? internals.dialect.sqlToQuery(item) : item.toSQL();
      return internals.$client.prepare(query.sql).bind(...query.params);
    });
    return internals.$client.batch(statements);
  }
}

export type ImportRepo = ReturnType<typeof importRepo>;
