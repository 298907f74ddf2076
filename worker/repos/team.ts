/**
 * The team of one tenant: members with their roles, pending invitations, role changes, ownership
 * transfer and removal with reassignment. Every rule that two admins could race on (the last
 * owner, a removal while someone creates an opportunity for the person) is checked inside the
 * writing statements themselves, so one atomic batch either applies all of it or nothing.
 */
import { and, asc, desc, eq, gt, isNull, sql, type SQL } from 'drizzle-orm';
import { accounts, activities, auditLog, invitations, memberships, opportunities, users, type Role } from '../../db/schema';
import { newId } from '../services/ids';
import { auditRepo } from './audit';
import type { Statement } from './batch';
import { isoInstant, type RepoScope } from './scope';

/** Pending members (created by imports for owner names that matched no one) have a placeholder address here. */
export const PENDING_EMAIL_DOMAIN = '@pending.invalid';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export type InvitableRole = Exclude<Role, 'owner'>;

type Changes = { meta?: { changes?: number } };
const changed = (result: unknown) => ((result as Changes | undefined)?.meta?.changes ?? 0) > 0;

export function teamRepo(scope: RepoScope) {
  const { db, tenantId } = scope;
  const audit = auditRepo(scope);
  const literal = (value: string | number | null, name: string) => sql`${value}`.as(name);

  const ownerCount = sql`(select count(*) from ${memberships} where ${memberships.tenantId} = ${tenantId} and ${memberships.role} = 'owner')`;
  /** True while `userId` is a member whose leaving the owner role would not leave the workspace without an owner. */
  const notLastOwner = (userId: string) =>
    sql`exists (select 1 from ${memberships} where ${memberships.tenantId} = ${tenantId} and ${memberships.userId} = ${userId} and (${memberships.role} != 'owner' or ${ownerCount} > 1))`;
  const isMember = (userId: string) => sql`exists (select 1 from ${memberships} where ${memberships.tenantId} = ${tenantId} and ${memberships.userId} = ${userId})`;
  const membershipOf = (userId: string) => and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId));

  /** An audit row written only when `condition` holds at that point of the batch. */
  function auditIf(condition: SQL, entry: { actorUserId: string; action: string; entityType: 'member' | 'ownership' | 'invitation'; entityId: string; before?: unknown; after?: unknown; at: number }): Statement {
    return db.insert(auditLog).select(
      db
        .select({
          id: literal(newId(), 'id'), tenantId: literal(tenantId, 'tenant_id'), actorUserId: literal(entry.actorUserId, 'actor_user_id'),
          actorTokenId: literal(scope.viewer?.apiTokenId ?? null, 'actor_token_id'),
          action: literal(entry.action, 'action'), entityType: literal(entry.entityType, 'entity_type'), entityId: literal(entry.entityId, 'entity_id'),
          before: literal(entry.before === undefined ? null : JSON.stringify(entry.before), 'before'),
          after: literal(entry.after === undefined ? null : JSON.stringify(entry.after), 'after'), at: literal(entry.at, 'at'),
        })
        .from(sql`(select 1)`)
        .where(condition),
    );
  }

  return {
    /** Everyone in the workspace with their role and how many opportunities they own (open and all). */
    async members() {
      const rows = await db
        .select({
          id: users.id, name: users.name, email: users.email, role: memberships.role, joinedAt: memberships.createdAt,
          openOpportunityCount: sql<number>`(select count(*) from ${opportunities} where ${opportunities.tenantId} = ${tenantId} and ${opportunities.ownerId} = ${users.id} and ${opportunities.status} = 'open')`,
          opportunityCount: sql<number>`(select count(*) from ${opportunities} where ${opportunities.tenantId} = ${tenantId} and ${opportunities.ownerId} = ${users.id})`,
        })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(eq(memberships.tenantId, tenantId))
        .orderBy(asc(users.name), asc(users.id))
        .all();
      return rows.map((r) => ({ ...r, joinedAt: isoInstant(r.joinedAt), pending: r.email.endsWith(PENDING_EMAIL_DOMAIN) }));
    },

    async member(userId: string) {
      const row = await db
        .select({ id: users.id, name: users.name, email: users.email, role: memberships.role })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(membershipOf(userId))
        .get();
      return row ?? null;
    },

    /** What a removal would hand over: all their opportunities and their planned follow-ups. */
    async holdings(userId: string) {
      const [opps, plans] = await db.batch([
        db.select({ count: sql<number>`count(*)` }).from(opportunities).where(and(eq(opportunities.tenantId, tenantId), eq(opportunities.ownerId, userId))),
        db.select({ count: sql<number>`count(*)` }).from(activities).where(and(eq(activities.tenantId, tenantId), eq(activities.ownerId, userId), isNull(activities.doneAt))),
      ]);
      return { opportunities: opps[0]?.count ?? 0, plannedFollowUps: plans[0]?.count ?? 0 };
    },

    /**
     * Sets a member's role (not to owner: that is a transfer). Refused atomically when it would
     * demote the last owner. Returns false when the guard stopped it.
     */
    async changeRole(userId: string, from: Role, to: Exclude<Role, 'owner'>, actor: { userId: string; now: number }): Promise<boolean> {
      const guard = and(membershipOf(userId), eq(memberships.role, from), notLastOwner(userId))!;
      // The audit row is checked against the same state the update then sees (a batch is serial).
      const [, update] = await db.batch([
        auditIf(sql`exists (select 1 from ${memberships} where ${guard})`, {
          actorUserId: actor.userId, action: 'role_change', entityType: 'member', entityId: userId, before: { role: from }, after: { role: to }, at: actor.now,
        }),
        db.update(memberships).set({ role: to }).where(guard),
      ]);
      return changed(update);
    },

    /** The caller (an owner) makes `toUserId` owner and becomes admin, in one batch. */
    async transferOwnership(fromUserId: string, toUserId: string, toPreviousRole: Role, now: number): Promise<boolean> {
      const fromIsOwner = sql`exists (select 1 from ${memberships} where ${membershipOf(fromUserId)} and ${memberships.role} = 'owner')`;
      const toHad = sql`exists (select 1 from ${memberships} where ${membershipOf(toUserId)} and ${memberships.role} = ${toPreviousRole})`;
      const toIsOwner = sql`exists (select 1 from ${memberships} where ${membershipOf(toUserId)} and ${memberships.role} = 'owner')`;
      const [, promote, demote] = await db.batch([
        auditIf(sql`${fromIsOwner} and ${toHad}`, {
          actorUserId: fromUserId, action: 'transfer', entityType: 'ownership', entityId: toUserId,
          before: { owner: fromUserId, newOwnerRole: toPreviousRole }, after: { owner: toUserId, previousOwnerRole: 'admin' }, at: now,
        }),
        db.update(memberships).set({ role: 'owner' }).where(and(membershipOf(toUserId), eq(memberships.role, toPreviousRole), fromIsOwner)),
        // Only once the new owner is in place does the caller step down: never zero owners.
        db.update(memberships).set({ role: 'admin' }).where(and(membershipOf(fromUserId), eq(memberships.role, 'owner'), toIsOwner)),
      ]);
      return changed(promote) && changed(demote);
    },

    /**
     * Removes a member. Their opportunities, accounts and planned follow-ups go to `reassignTo`
     * (set-based UPDATEs, so cards created meanwhile move too); without one, the removal only
     * applies while they own no opportunity and no planned follow-up. All of it is one batch.
     */
    async remove(userId: string, reassignTo: string | null, actor: { userId: string; now: number }, before: { role: Role; name: string; email: string }) {
      const nothingHeld = sql`not exists (select 1 from ${opportunities} where ${opportunities.tenantId} = ${tenantId} and ${opportunities.ownerId} = ${userId})
        and not exists (select 1 from ${activities} where ${activities.tenantId} = ${tenantId} and ${activities.ownerId} = ${userId} and ${activities.doneAt} is null)`;
      // Still the role the caller's permission was checked against (an admin may not remove someone made owner meanwhile).
      const sameRole = sql`exists (select 1 from ${memberships} where ${memberships.tenantId} = ${tenantId} and ${memberships.userId} = ${userId} and ${memberships.role} = ${before.role})`;
      const allowed = reassignTo ? sql`${notLastOwner(userId)} and ${sameRole} and ${isMember(reassignTo)}` : sql`${notLastOwner(userId)} and ${sameRole} and ${nothingHeld}`;
      const statements: Statement[] = [];
      if (reassignTo) {
        statements.push(
          db.update(opportunities).set({ ownerId: reassignTo, updatedAt: actor.now, version: sql`${opportunities.version} + 1` }).where(and(eq(opportunities.tenantId, tenantId), eq(opportunities.ownerId, userId), allowed)),
          db.update(accounts).set({ ownerId: reassignTo, updatedAt: actor.now }).where(and(eq(accounts.tenantId, tenantId), eq(accounts.ownerId, userId), allowed)),
          db.update(activities).set({ ownerId: reassignTo, updatedAt: actor.now }).where(and(eq(activities.tenantId, tenantId), eq(activities.ownerId, userId), isNull(activities.doneAt), allowed)),
        );
      } else {
        // Accounts may be ownerless; nobody is left to call on them otherwise.
        statements.push(db.update(accounts).set({ ownerId: null, updatedAt: actor.now }).where(and(eq(accounts.tenantId, tenantId), eq(accounts.ownerId, userId), allowed)));
      }
      statements.push(
        auditIf(allowed, { actorUserId: actor.userId, action: 'remove', entityType: 'member', entityId: userId, before, after: { reassignTo }, at: actor.now }),
        db.delete(memberships).where(and(membershipOf(userId), allowed)),
      );
      const results = await db.batch(statements as [Statement, ...Statement[]]);
      return { removed: changed(results.at(-1)), reassigned: reassignTo ? ((results[0] as Changes).meta?.changes ?? 0) : 0 };
    },

    /** Pending invitations (not accepted, not expired), newest first. */
    async pendingInvitations(now: number) {
      const rows = await db
        .select({ id: invitations.id, email: invitations.email, role: invitations.role, invitedBy: invitations.invitedBy, invitedByName: users.name, createdAt: invitations.createdAt, expiresAt: invitations.expiresAt })
        .from(invitations)
        .leftJoin(users, eq(users.id, invitations.invitedBy))
        .where(and(eq(invitations.tenantId, tenantId), isNull(invitations.acceptedAt), gt(invitations.expiresAt, now)))
        .orderBy(desc(invitations.createdAt), desc(invitations.id))
        .all();
      return rows.map((r) => ({ ...r, role: r.role as InvitableRole, createdAt: isoInstant(r.createdAt), expiresAt: isoInstant(r.expiresAt) }));
    },

    async isMemberEmail(email: string): Promise<boolean> {
      const row = await db
        .select({ id: users.id })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(eq(memberships.tenantId, tenantId), eq(users.email, email)))
        .get();
      return row !== undefined;
    },

    /** Stores a new invitation (only its token's hash), replacing any pending one for the email. */
    async invite(input: { email: string; role: InvitableRole; tokenHash: string }, actor: { userId: string; now: number }) {
      const id = newId();
      const expiresAt = actor.now + INVITATION_TTL_MS;
      await db.batch([
        db.delete(invitations).where(and(eq(invitations.tenantId, tenantId), eq(invitations.email, input.email), isNull(invitations.acceptedAt))),
        db.insert(invitations).values({ id, tenantId, email: input.email, role: input.role, tokenHash: input.tokenHash, invitedBy: actor.userId, expiresAt, createdAt: actor.now }),
        audit.entry({ actorUserId: actor.userId, action: 'invite', entityType: 'invitation', entityId: id, after: { email: input.email, role: input.role }, at: actor.now }),
      ]);
      return { id, email: input.email, role: input.role, createdAt: isoInstant(actor.now), expiresAt: isoInstant(expiresAt) };
    },

    /** Revokes a pending invitation; false when there is none by that id. */
    async revokeInvitation(id: string, actor: { userId: string; now: number }): Promise<boolean> {
      const pending = and(eq(invitations.tenantId, tenantId), eq(invitations.id, id), isNull(invitations.acceptedAt));
      const found = await db.select({ email: invitations.email, role: invitations.role }).from(invitations).where(pending).get();
      if (!found) return false;
      const [, removed] = await db.batch([
        auditIf(sql`exists (select 1 from ${invitations} where ${pending})`, { actorUserId: actor.userId, action: 'revoke', entityType: 'invitation', entityId: id, before: found, at: actor.now }),
        db.delete(invitations).where(pending),
      ]);
      return changed(removed);
    },
  };
}
