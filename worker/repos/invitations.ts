/**
 * Invitation links, read and consumed from outside any workspace (the person following the link
 * may not be a member, or even a user, yet). Only SHA-256 of a token is stored.
 *
 * Consuming is atomic: the batch first marks the invitation used — only while it is unused and
 * unexpired — and every later statement (user, membership, audit, session) inserts from that
 * invitation row only if it carries this very acceptance. Two concurrent accepts: the later one
 * inserts nothing, or, when both read the same clock tick, collides on a unique key (the user's
 * email or the membership) and its whole batch rolls back. Exactly one wins.
 */
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase64urlNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { auditLog, invitations, memberships, sessions, tenants, users, type Role } from '../../db/schema';
import type { StoredSession } from '../auth/session';
import { newId } from '../services/ids';
import type { Statement } from './batch';

/** 32 random bytes (256 bits) as base64url: the secret in the accept link. */
export const INVITATION_TOKEN_BYTES = 32;

export function newInvitationToken(): { token: string; tokenHash: string } {
  const bytes = new Uint8Array(INVITATION_TOKEN_BYTES);
  crypto.getRandomValues(bytes);
  const token = encodeBase64urlNoPadding(bytes);
  return { token, tokenHash: hashInvitationToken(token) };
}

export function hashInvitationToken(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

export interface PendingInvitation {
  id: string;
  tenantId: string;
  tenantSlug: string;
  tenantName: string;
  email: string;
  role: Role;
  inviterName: string | null;
  expiresAt: number;
}

type Changes = { meta?: { changes?: number } };

export function invitationRepo(db: Database) {
  const literal = (value: string | number | null, name: string) => sql`${value}`.as(name);

  /** Inserts into `table` from the invitation row, only if it was accepted at `now` (by this batch). */
  const fromAccepted = (invitationId: string, now: number) => and(eq(invitations.id, invitationId), eq(invitations.acceptedAt, now));

  return {
    /** The invitation behind a token while it can still be accepted; null otherwise. */
    async findUsable(token: string, now: number): Promise<PendingInvitation | null> {
      const row = await db
        .select({
          id: invitations.id, tenantId: invitations.tenantId, tenantSlug: tenants.slug, tenantName: sql<string>`${tenants.name}`.as('tenant_name'),
          email: invitations.email, role: invitations.role, inviterName: sql<string | null>`${users.name}`.as('inviter_name'),
          expiresAt: invitations.expiresAt, acceptedAt: invitations.acceptedAt,
        })
        .from(invitations)
        .innerJoin(tenants, eq(tenants.id, invitations.tenantId))
        .leftJoin(users, eq(users.id, invitations.invitedBy))
        .where(eq(invitations.tokenHash, hashInvitationToken(token)))
        .get();
      if (!row || row.acceptedAt !== null || row.expiresAt <= now) return null;
      const { acceptedAt: _accepted, ...invitation } = row;
      return invitation;
    },

    async isMember(tenantId: string, userId: string): Promise<boolean> {
      return (await db.select({ id: memberships.userId }).from(memberships).where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId))).get()) !== undefined;
    },

    /**
     * Consumes the invitation for `userId` (an existing user) or for a new user created here (with
     * the first session). Returns false when the invitation was no longer usable.
     */
    async accept(
      invitation: PendingInvitation,
      who: { userId: string; newUser?: { name: string; passwordHash: string; locale: string }; session?: StoredSession },
      now: number,
    ): Promise<boolean> {
      const consume = db
        .update(invitations)
        .set({ acceptedAt: now })
        .where(
          and(
            eq(invitations.id, invitation.id),
            sql`${invitations.acceptedAt} is null`,
            sql`${invitations.expiresAt} > ${now}`,
            // The link carries its inviter's authority: it dies when they are no longer an owner or admin here.
            sql`exists (select 1 from memberships m where m.tenant_id = ${invitations.tenantId} and m.user_id = ${invitations.invitedBy} and m.role in ('owner', 'admin'))`,
          ),
        );
      const accepted: SQL = fromAccepted(invitation.id, now)!;
      const statements: Statement[] = [consume];
      if (who.newUser) {
        const { name, passwordHash, locale } = who.newUser;
        statements.push(
          db.insert(users).select(
            db
              .select({
                id: literal(who.userId, 'id'), email: invitations.email, name: literal(name, 'name'), passwordHash: literal(passwordHash, 'password_hash'),
                locale: literal(locale, 'locale'), passwordChangedAt: literal(now, 'password_changed_at'), createdAt: literal(now, 'created_at'), updatedAt: literal(now, 'updated_at'),
              })
              .from(invitations)
              .where(accepted),
          ),
        );
      }
      statements.push(
        db.insert(memberships).select(
          db
            .select({ tenantId: invitations.tenantId, userId: literal(who.userId, 'user_id'), role: invitations.role, createdAt: literal(now, 'created_at') })
            .from(invitations)
            .where(accepted),
        ),
        db.insert(auditLog).select(
          db
            .select({
              id: literal(newId(), 'id'), tenantId: invitations.tenantId, actorUserId: literal(who.userId, 'actor_user_id'), actorTokenId: literal(null, 'actor_token_id'),
              action: literal('accept', 'action'),
              entityType: literal('invitation', 'entity_type'), entityId: invitations.id, before: literal(null, 'before'),
              after: sql`json_object('email', ${invitations.email}, 'role', ${invitations.role}, 'userId', ${who.userId})`.as('after'), at: literal(now, 'at'),
            })
            .from(invitations)
            .where(accepted),
        ),
      );
      if (who.session) {
        const s = who.session;
        statements.push(
          db.insert(sessions).select(
            db
              .select({ id: literal(s.id, 'id'), secretHash: literal(s.secretHash, 'secret_hash'), userId: literal(s.userId, 'user_id'), createdAt: literal(s.createdAt, 'created_at'), lastVerifiedAt: literal(s.lastVerifiedAt, 'last_verified_at') })
              .from(invitations)
              .where(accepted),
          ),
        );
      }
      const [first] = await db.batch(statements as [Statement, ...Statement[]]);
      return ((first as Changes).meta?.changes ?? 0) > 0;
    },
  };
}

export type InvitationRepo = ReturnType<typeof invitationRepo>;
