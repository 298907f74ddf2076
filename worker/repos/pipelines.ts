/**
 * Pipeline and stage administration of one tenant: create, rename, reorder and archive
 * pipelines; add, edit, reorder and delete stages (moving a deleted stage's opportunities to
 * another stage of the pipeline with set-based statements). Every change and its audit entry go
 * to D1 in one atomic batch. Refusals are thrown as problems (400/404/409) for the route.
 *
 * Invariants: every pipeline keeps at least one open, one won and one lost stage; positions
 * (pipelines among the active ones, stages within their pipeline) stay dense 0…n-1.
 */
import { and, asc, count, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { lostReasons, opportunities, pipelines, stageChanges, stages, type StageKind } from '../../db/schema';
import { badRequest, conflict, notFound } from '../errors';
import { newId } from '../services/ids';
import { positionBetween } from '../services/ordering';
import { auditRepo } from './audit';
import { runAtomically, type Statement } from './batch';
import type { RepoScope } from './scope';

export interface StageInput {
  name: string;
  probability: number;
  kind: StageKind;
  staleAfterDays?: number | null;
  requiredFields?: string[];
}

export type StagePatch = Partial<StageInput>;

export interface Actor {
  userId: string;
  now: number;
}

/** Most stages a pipeline may have, and most active pipelines a workspace may have. */
export const MAX_STAGES = 30;
export const MAX_PIPELINES = 30;

type StageRow = typeof stages.$inferSelect;
type PipelineRow = typeof pipelines.$inferSelect;

export const KIND_RULE = 'A pipeline needs at least one open, one won and one lost stage.';

/** A sensible default set for a new pipeline, in the workspace's language. */
export function defaultStages(locale: string): StageInput[] {
  const zh = locale === 'zh-CN';
  return [
    { name: zh ? '初步接洽' : 'Lead', probability: 10, kind: 'open', staleAfterDays: 14 },
    { name: zh ? '需求确认' : 'Qualified', probability: 30, kind: 'open', staleAfterDays: 14 },
    { name: zh ? '方案报价' : 'Proposal', probability: 60, kind: 'open', staleAfterDays: 21 },
    { name: zh ? '商务谈判' : 'Negotiation', probability: 80, kind: 'open', staleAfterDays: 21 },
    { name: zh ? '赢单' : 'Won', probability: 100, kind: 'won', staleAfterDays: null },
    { name: zh ? '输单' : 'Lost', probability: 0, kind: 'lost', staleAfterDays: null },
  ];
}

/** Whether a list of stage kinds keeps at least one open, one won and one lost stage. */
export function kindsComplete(kinds: readonly string[]): boolean {
  return kinds.includes('open') && kinds.includes('won') && kinds.includes('lost');
}

export function toStage(row: StageRow) {
  return {
    id: row.id, pipelineId: row.pipelineId, name: row.name, position: row.position, probability: row.probability, kind: row.kind,
    staleAfterDays: row.staleAfterDays, requiredFields: row.requiredFields,
  };
}

const stageFields = (s: StageInput | StageRow) => ({
  name: s.name, probability: s.probability, kind: s.kind, staleAfterDays: s.staleAfterDays ?? null, requiredFields: s.requiredFields ?? [],
});

const changes = (result: unknown) => (result as { meta?: { changes?: number } }).meta?.changes ?? 0;

export function pipelineAdminRepo(scope: RepoScope) {
  const { db, tenantId } = scope;
  const audit = auditRepo(scope);

  const activePipelines = () =>
    db
      .select()
      .from(pipelines)
      .where(and(eq(pipelines.tenantId, tenantId), isNull(pipelines.archivedAt)))
      .orderBy(asc(pipelines.position), asc(pipelines.createdAt), asc(pipelines.id))
      .all();

  async function activePipeline(pipelineId: string): Promise<PipelineRow> {
    const row = await db
      .select()
      .from(pipelines)
      .where(and(eq(pipelines.tenantId, tenantId), eq(pipelines.id, pipelineId), isNull(pipelines.archivedAt)))
      .get();
    if (!row) throw notFound();
    return row;
  }

  const stagesOf = (pipelineId: string) =>
    db
      .select()
      .from(stages)
      .where(and(eq(stages.tenantId, tenantId), eq(stages.pipelineId, pipelineId)))
      .orderBy(asc(stages.position), asc(stages.createdAt), asc(stages.id))
      .all();

  /** A stage of an active pipeline of this tenant. */
  async function activeStage(stageId: string): Promise<StageRow> {
    const row = await db
      .select({ stage: stages })
      .from(stages)
      .innerJoin(pipelines, and(eq(pipelines.id, stages.pipelineId), eq(pipelines.tenantId, tenantId), isNull(pipelines.archivedAt)))
      .where(and(eq(stages.tenantId, tenantId), eq(stages.id, stageId)))
      .get();
    if (!row) throw notFound();
    return row.stage;
  }

  const stageById = async (stageId: string) => (await db.select().from(stages).where(and(eq(stages.tenantId, tenantId), eq(stages.id, stageId))).get())!;

  const opportunitiesIn = async (stageId: string) =>
    (await db.select({ n: count() }).from(opportunities).where(and(eq(opportunities.tenantId, tenantId), eq(opportunities.stageId, stageId))).get())?.n ?? 0;

  /** Updates giving `rows` (in their new order) positions 0..n-1, only where one differs. */
  function densePositions(table: typeof stages | typeof pipelines, rows: { id: string; position: number }[], condition?: SQL): Statement[] {
    const statements: Statement[] = [];
    rows.forEach((row, index) => {
      if (row.position !== index) statements.push(db.update(table).set({ position: index }).where(and(eq(table.tenantId, tenantId), eq(table.id, row.id), condition)));
    });
    return statements;
  }

  async function pipelineRecord(pipelineId: string) {
    const pipeline = (await db.select().from(pipelines).where(and(eq(pipelines.tenantId, tenantId), eq(pipelines.id, pipelineId))).get())!;
    const rows = await stagesOf(pipelineId);
    return { id: pipeline.id, name: pipeline.name, position: pipeline.position, stages: rows.map(toStage) };
  }

  return {
    async createPipeline(name: string, initial: StageInput[], actor: Actor) {
      const active = await activePipelines();
      if (active.length >= MAX_PIPELINES) throw conflict('too_many_pipelines', `A workspace can have at most ${MAX_PIPELINES} active pipelines.`);
      const id = newId();
      const stageRows = initial.map((s, position) => ({ id: newId(), tenantId, pipelineId: id, position, createdAt: actor.now, ...stageFields(s) }));
      await runAtomically(db, [
        // Dense first, so the new pipeline goes last.
        ...densePositions(pipelines, active),
        db.insert(pipelines).values({ id, tenantId, name, position: active.length, createdAt: actor.now }),
        // One statement per stage (≤ 30): a stage row binds 10 parameters.
        ...stageRows.map((row) => db.insert(stages).values(row)),
        audit.entry({
          actorUserId: actor.userId, action: 'create', entityType: 'pipeline', entityId: id, at: actor.now,
          after: { name, position: active.length, stages: stageRows.map((s) => ({ name: s.name, kind: s.kind, probability: s.probability })) },
        }),
      ]);
      return pipelineRecord(id);
    },

    /** Rename and/or move a pipeline to `position` (0-based among active pipelines; clamped to the end). */
    async updatePipeline(pipelineId: string, patch: { name?: string; position?: number }, actor: Actor) {
      const current = await activePipeline(pipelineId);
      const active = await activePipelines();
      const statements: Statement[] = [];
      const before: Record<string, unknown> = {};
      const after: Record<string, unknown> = {};
      if (patch.name !== undefined && patch.name !== current.name) {
        statements.push(db.update(pipelines).set({ name: patch.name }).where(and(eq(pipelines.tenantId, tenantId), eq(pipelines.id, pipelineId))));
        before.name = current.name;
        after.name = patch.name;
      }
      if (patch.position !== undefined) {
        const from = active.findIndex((p) => p.id === pipelineId);
        const to = Math.min(patch.position, active.length - 1);
        const order = active.filter((p) => p.id !== pipelineId);
        order.splice(to, 0, active[from]!);
        statements.push(...densePositions(pipelines, order));
        if (from !== to) {
          before.position = from;
          after.position = to;
        }
      }
      if (Object.keys(after).length) {
        statements.push(
          audit.entry({ actorUserId: actor.userId, action: 'name' in after ? 'update' : 'reorder', entityType: 'pipeline', entityId: pipelineId, before, after, at: actor.now }),
        );
      }
      await runAtomically(db, statements);
      return pipelineRecord(pipelineId);
    },

    /** Archives a pipeline (it leaves GET /pipelines and its board 404s); the last active one stays. */
    async archivePipeline(pipelineId: string, actor: Actor) {
      const current = await activePipeline(pipelineId);
      const active = await activePipelines();
      if (active.length <= 1) throw conflict('last_pipeline', 'This is the only active pipeline: add another one before archiving it.');
      await runAtomically(db, [
        db.update(pipelines).set({ archivedAt: actor.now }).where(and(eq(pipelines.tenantId, tenantId), eq(pipelines.id, pipelineId), isNull(pipelines.archivedAt))),
        ...densePositions(pipelines, active.filter((p) => p.id !== pipelineId)),
        audit.entry({
          actorUserId: actor.userId, action: 'archive', entityType: 'pipeline', entityId: pipelineId, at: actor.now,
          before: { name: current.name, archivedAt: null }, after: { archivedAt: new Date(actor.now).toISOString() },
        }),
      ]);
    },

    /** Adds a stage at `position` (default: before the first won/lost stage). */
    async addStage(pipelineId: string, input: StageInput & { position?: number }, actor: Actor) {
      await activePipeline(pipelineId);
      const current = await stagesOf(pipelineId);
      if (current.length >= MAX_STAGES) throw conflict('too_many_stages', `A pipeline can have at most ${MAX_STAGES} stages.`);
      const firstClosed = current.findIndex((s) => s.kind !== 'open');
      const at = Math.min(input.position ?? (firstClosed === -1 ? current.length : firstClosed), current.length);
      const row = { id: newId(), tenantId, pipelineId, position: at, createdAt: actor.now, ...stageFields(input) };
      const order: { id: string; position: number }[] = [...current];
      order.splice(at, 0, row);
      await runAtomically(db, [
        // The new row already sits at index `at`: this rewrites only the stages it pushes down.
        ...densePositions(stages, order),
        db.insert(stages).values(row),
        audit.entry({ actorUserId: actor.userId, action: 'create', entityType: 'stage', entityId: row.id, at: actor.now, after: { pipelineId, position: at, ...stageFields(row) } }),
      ]);
      return toStage(await stageById(row.id));
    },

    async updateStage(stageId: string, patch: StagePatch, actor: Actor) {
      const current = await activeStage(stageId);
      const before: Record<string, unknown> = {};
      const after: Record<string, unknown> = {};
      for (const key of ['name', 'probability', 'kind', 'staleAfterDays', 'requiredFields'] as const) {
        const value = patch[key];
        if (value === undefined || JSON.stringify(value) === JSON.stringify(current[key])) continue;
        before[key] = current[key];
        after[key] = value;
      }
      if ('kind' in after) {
        const siblings = await stagesOf(current.pipelineId);
        const kinds = siblings.map((s) => (s.id === stageId ? String(after.kind) : s.kind));
        if (!kindsComplete(kinds)) {
          throw conflict('stage_kind_required', `${KIND_RULE} This is the pipeline's only ${current.kind} stage.`, { kind: current.kind });
        }
        const n = await opportunitiesIn(stageId);
        if (n > 0) {
          throw conflict('stage_not_empty', `${n} ${n === 1 ? 'opportunity is' : 'opportunities are'} in this stage: move ${n === 1 ? 'it' : 'them'} out before changing its kind.`, { count: n });
        }
      }
      if (Object.keys(after).length) {
        await runAtomically(db, [
          // Only the stage row: stage history and past daily snapshots keep what they recorded.
          db.update(stages).set(after).where(and(eq(stages.tenantId, tenantId), eq(stages.id, stageId))),
          audit.entry({ actorUserId: actor.userId, action: 'update', entityType: 'stage', entityId: stageId, before, after, at: actor.now }),
        ]);
      }
      return toStage(await stageById(stageId));
    },

    /** `stageIds` must be exactly the pipeline's stages, in their new order. */
    async reorderStages(pipelineId: string, stageIds: string[], actor: Actor) {
      await activePipeline(pipelineId);
      const current = await stagesOf(pipelineId);
      const known = new Set(current.map((s) => s.id));
      if (new Set(stageIds).size !== stageIds.length || stageIds.length !== current.length || stageIds.some((id) => !known.has(id))) {
        throw badRequest([{ path: 'stageIds', message: 'List each stage of this pipeline exactly once.' }]);
      }
      const byId = new Map(current.map((s) => [s.id, s]));
      const statements = densePositions(stages, stageIds.map((id) => byId.get(id)!));
      if (statements.length) {
        statements.push(
          audit.entry({
            actorUserId: actor.userId, action: 'reorder', entityType: 'pipeline', entityId: pipelineId, at: actor.now,
            before: { stageIds: current.map((s) => s.id) }, after: { stageIds },
          }),
        );
        await runAtomically(db, statements);
      }
      return (await stagesOf(pipelineId)).map(toStage);
    },

    /**
     * Deletes a stage. Its opportunities (if any) move to `moveTo`, another stage of the same
     * pipeline: after the target's cards in their order, one stage_changes row each, status and
     * closedAt per the target's kind, stage_entered_at = now, version + 1. Moving into a lost
     * stage needs `lostReasonId` (unless the deleted stage is lost too: each keeps its reason).
     * Set-based: the same few statements whatever the number of opportunities, in ONE batch.
     */
    async deleteStage(stageId: string, options: { moveTo?: string; lostReasonId?: string }, actor: Actor) {
      const stage = await activeStage(stageId);
      const siblings = await stagesOf(stage.pipelineId);
      if (!kindsComplete(siblings.filter((s) => s.id !== stageId).map((s) => s.kind))) {
        throw conflict('stage_kind_required', `${KIND_RULE} This is the pipeline's only ${stage.kind} stage.`, { kind: stage.kind });
      }
      const moving = await opportunitiesIn(stageId);
      let target: StageRow | undefined;
      if (options.moveTo !== undefined) {
        target = siblings.find((s) => s.id === options.moveTo && s.id !== stageId);
        if (!target) throw badRequest([{ path: 'query.moveTo', message: 'Choose another stage of this pipeline.' }]);
      } else if (moving > 0) {
        throw badRequest(
          [{ path: 'query.moveTo', message: `${moving} ${moving === 1 ? 'opportunity is' : 'opportunities are'} in this stage: choose the stage to move them to.` }],
          'The stage holds opportunities: say where they move (moveTo).',
        );
      }
      if (options.lostReasonId !== undefined) {
        const reason = await db
          .select({ id: lostReasons.id })
          .from(lostReasons)
          .where(and(eq(lostReasons.tenantId, tenantId), eq(lostReasons.id, options.lostReasonId), isNull(lostReasons.archivedAt)))
          .get();
        if (!reason) throw badRequest([{ path: 'query.lostReasonId', message: 'Choose a lost reason of this workspace.' }]);
      }
      if (target?.kind === 'lost' && moving > 0 && stage.kind !== 'lost' && !options.lostReasonId) {
        throw badRequest([{ path: 'query.lostReasonId', message: 'Moving opportunities into a lost stage needs a lost reason.' }]);
      }

      const { now, userId } = actor;
      const statements: Statement[] = [];
      if (target) {
        const last = await db
          .select({ position: opportunities.position })
          .from(opportunities)
          .where(and(eq(opportunities.tenantId, tenantId), eq(opportunities.stageId, target.id)))
          .orderBy(desc(opportunities.position))
          .limit(1)
          .get();
        // Each moved card gets `head` + its rank (fixed width, so string order is rank order) + 'V'
        // (a fractional key may not end in '0'): all after the target's last card, order kept, unique.
        const head = positionBetween(last?.position ?? null, null, () => 0);
        const closedAt = target.kind === 'open' ? sql`null` : target.kind === stage.kind ? sql`coalesce(closed_at, ${now})` : sql`${now}`;
        const lostReason = target.kind !== 'lost' ? sql`null` : options.lostReasonId ? sql`${options.lostReasonId}` : sql`lost_reason_id`;
        const inSource = and(eq(opportunities.tenantId, tenantId), eq(opportunities.stageId, stageId));
        // A target deleted meanwhile moves nothing: the cards stay, so the guarded stage delete fails (409).
        const targetAlive = sql`exists (select 1 from stages t where t.tenant_id = ${tenantId} and t.id = ${target.id})`;
        const literal = (value: string | number | null, name: string) => sql`${value}`.as(name);
        // Never before the card's own last move: a move that committed just before this batch may
        // carry a later clock reading than `now` (read before the batch ran). The history must stay
        // in order, or "which stage at the end of the day" would pick the deleted stage.
        const enteredAt = sql<number>`max(${now}, ${opportunities.stageEnteredAt} + 1)`;
        const ranked = db
          .select({
            rankedId: sql<string>`${opportunities.id}`.as('ranked_id'),
            rank: sql<number>`row_number() over (order by ${opportunities.position}, ${opportunities.id})`.as('rank'),
          })
          .from(opportunities)
          .where(inSource)
          .as('ranked');
        statements.push(
          // History first, while the rows are still in the deleted stage: one row each, with the amount then.
          db.insert(stageChanges).select(
            db
              .select({
                id: sql`lower(hex(randomblob(15)))`.as('id'), tenantId: opportunities.tenantId, opportunityId: opportunities.id, pipelineId: opportunities.pipelineId,
                fromStageId: opportunities.stageId, toStageId: literal(target.id, 'to_stage_id'), changedAt: sql`${enteredAt}`.as('changed_at'),
                changedBy: literal(userId, 'changed_by'), amount: opportunities.amount, importId: literal(null, 'import_id'),
              })
              .from(opportunities)
              .where(and(inSource, targetAlive)),
          ),
          db
            .update(opportunities)
            .set({
              stageId: target.id, position: sql`${head} || printf('%07d', ${ranked.rank}) || 'V'`, status: target.kind, closedAt: closedAt as never,
              lostReasonId: lostReason as never, stageEnteredAt: enteredAt, version: sql`${opportunities.version} + 1`, updatedAt: now,
            })
            .from(ranked)
            .where(and(eq(opportunities.id, ranked.rankedId), inSource, targetAlive)),
        );
      }
      const stageGone = sql`not exists (select 1 from stages s where s.tenant_id = ${tenantId} and s.id = ${stageId})`;
      // Guarded: never leaves an opportunity pointing at a deleted stage.
      statements.push(
        db
          .delete(stages)
          .where(
            and(
              eq(stages.tenantId, tenantId),
              eq(stages.id, stageId),
              sql`not exists (select 1 from opportunities o where o.tenant_id = ${tenantId} and o.stage_id = ${stageId})`,
            ),
          ),
        // Renumbering and the audit row only when the guarded delete happened.
        ...densePositions(stages, siblings.filter((s) => s.id !== stageId), stageGone),
        audit.entryWhere({
          actorUserId: userId, action: 'delete', entityType: 'stage', entityId: stageId, at: now,
          before: { pipelineId: stage.pipelineId, position: stage.position, ...stageFields(stage) },
          after: { movedOpportunities: moving, moveTo: target?.id ?? null, moveToName: target?.name ?? null, lostReasonId: options.lostReasonId ?? null },
        }, stageGone),
      );
      const results = await db.batch(statements as [Statement, ...Statement[]]);
      if (changes(results[target ? 2 : 0]) === 0) {
        throw conflict('stage_not_empty', 'An opportunity entered this stage meanwhile: choose where its opportunities move.');
      }
      return { moved: target ? changes(results[1]) : 0, moveTo: target?.id ?? null };
    },
  };
}
