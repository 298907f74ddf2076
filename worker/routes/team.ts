// The team of a workspace: members and their roles, invitations. Owners and admins only.
import { createRoute, z } from '@hono/zod-openapi';
import type { TenantEnv } from '../env';
import { badRequest, conflict, forbidden, notFound } from '../errors';
import { adminOnly } from '../middleware/admin';
import { AUTHENTICATED_ERRORS, Instant, ProblemSchema, TenantParams, jsonBody, jsonResponse, newRouter } from '../openapi';
import { newInvitationToken } from '../repos/invitations';

const ROLE_VALUES = ['owner', 'admin', 'member', 'viewer'] as const;
const Role = z.enum(ROLE_VALUES, { message: 'Choose owner, admin, member or viewer.' });
const InvitableRole = z.enum(['admin', 'member', 'viewer'], { message: 'Choose admin, member or viewer.' });
const Email = z.string().trim().toLowerCase().max(254).pipe(z.email({ message: 'Enter a valid email address.' }));

const conflictResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: ProblemSchema } } });

const MemberSchema = z
  .object({
    id: z.string(), name: z.string(), email: z.string(), role: Role, joinedAt: Instant,
    openOpportunityCount: z.number().int().openapi({ description: 'Open opportunities they own' }),
    opportunityCount: z.number().int().openapi({ description: 'All opportunities they own (what a removal reassigns)' }),
    pending: z.boolean().openapi({ description: 'Created by a CSV import for an owner name that matched no one: cannot log in yet (email is a placeholder); invite them later' }),
  })
  .openapi('Member');

const InvitationSchema = z
  .object({ id: z.string(), email: z.string(), role: InvitableRole, invitedBy: z.string(), invitedByName: z.string().nullable(), createdAt: Instant, expiresAt: Instant })
  .openapi('Invitation');

const MemberParams = TenantParams.extend({ userId: z.string().min(1).max(64).openapi({ param: { name: 'userId', in: 'path' } }) });
const InvitationParams = TenantParams.extend({ invitationId: z.string().min(1).max(64).openapi({ param: { name: 'invitationId', in: 'path' } }) });


const ownerOnly = () => forbidden('owner_only', 'Only an owner can change an owner or grant the owner role.');
const lastOwner = () => conflict('last_owner', 'A workspace always keeps at least one owner: make someone else owner first.');

export const memberRoutes = newRouter<TenantEnv>()
  .openapi(
    createRoute({
      method: 'get', path: '/', tags: ['team'], summary: 'Members with their roles and opportunity counts', middleware: [adminOnly()] as const,
      request: { params: TenantParams },
      responses: { 200: jsonResponse(z.object({ members: z.array(MemberSchema) }), 'Members by name'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => c.json({ members: await c.get('repos').team.members() }, 200),
  )
  .openapi(
    createRoute({
      method: 'patch', path: '/{userId}', tags: ['team'], middleware: [adminOnly()] as const,
      summary: "Change a member's role; { role: 'owner' } by an owner transfers ownership (the caller becomes admin)",
      request: { params: MemberParams, body: jsonBody(z.object({ role: Role }).openapi('RoleChange')) },
      responses: {
        200: jsonResponse(z.object({ members: z.array(MemberSchema) }), 'Done; the members as they are now'),
        409: conflictResponse('last_owner: the last owner cannot be demoted'),
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => {
      const { userId } = c.req.valid('param');
      const { role } = c.req.valid('json');
      const team = c.get('repos').team;
      const me = c.get('user').id;
      const myRole = c.get('role');
      const target = await team.member(userId);
      if (!target) throw notFound();
      const now = c.get('now')();
      if (target.role === role) return c.json({ members: await team.members() }, 200);
      if (role === 'owner') {
        if (myRole !== 'owner') throw ownerOnly();
        if (!(await team.transferOwnership(me, userId, target.role, now))) throw conflict('changed_meanwhile', 'The team changed meanwhile. Reload and try again.');
      } else {
        if (target.role === 'owner' && myRole !== 'owner') throw ownerOnly();
        if (!(await team.changeRole(userId, target.role, role, { userId: me, now }))) {
          if (target.role === 'owner') throw lastOwner();
          throw conflict('changed_meanwhile', 'The team changed meanwhile. Reload and try again.');
        }
      }
      return c.json({ members: await team.members() }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete', path: '/{userId}', tags: ['team'], middleware: [adminOnly()] as const,
      summary: 'Remove a member; their opportunities, accounts and planned follow-ups go to reassignTo',
      request: {
        params: MemberParams,
        query: z.object({ reassignTo: z.string().min(1).max(64).optional().openapi({ description: 'Another member; required when they own opportunities or planned follow-ups' }) }),
      },
      responses: {
        204: { description: 'Removed' },
        409: conflictResponse('last_owner, or reassign_required (with `opportunities` and `plannedFollowUps` counts)'),
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => {
      const { userId } = c.req.valid('param');
      const { reassignTo } = c.req.valid('query');
      const team = c.get('repos').team;
      const target = await team.member(userId);
      if (!target) throw notFound();
      if (target.role === 'owner' && c.get('role') !== 'owner') throw ownerOnly();
      if (reassignTo !== undefined) {
        const heir = reassignTo === userId ? null : await team.member(reassignTo);
        if (!heir) throw badRequest([{ path: 'query.reassignTo', message: 'Choose another member of this workspace.' }]);
        if (heir.role === 'viewer') throw badRequest([{ path: 'query.reassignTo', message: 'Viewers cannot own opportunities; choose a member, admin or owner.' }]);
      } else {
        const held = await team.holdings(userId);
        if (held.opportunities > 0 || held.plannedFollowUps > 0) {
          throw conflict('reassign_required', 'They own opportunities or planned follow-ups: choose who takes them over (reassignTo).', held);
        }
      }
      const result = await team.remove(userId, reassignTo ?? null, { userId: c.get('user').id, now: c.get('now')() }, { role: target.role, name: target.name, email: target.email });
      if (!result.removed) {
        if (target.role === 'owner') throw lastOwner();
        if (!reassignTo) throw conflict('reassign_required', 'They took on opportunities meanwhile: choose who takes them over (reassignTo).', await team.holdings(userId));
        throw conflict('changed_meanwhile', 'The team changed meanwhile. Reload and try again.');
      }
      return c.body(null, 204);
    },
  );

export const invitationAdminRoutes = newRouter<TenantEnv>()
  .openapi(
    createRoute({
      method: 'get', path: '/', tags: ['team'], summary: 'Pending invitations (not accepted, not expired)', middleware: [adminOnly()] as const,
      request: { params: TenantParams },
      responses: { 200: jsonResponse(z.object({ invitations: z.array(InvitationSchema) }), 'Newest first'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => c.json({ invitations: await c.get('repos').team.pendingInvitations(c.get('now')()) }, 200),
  )
  .openapi(
    createRoute({
      method: 'post', path: '/', tags: ['team'], middleware: [adminOnly()] as const,
      summary: 'Invite someone by email; answers the accept link (no email is sent). Replaces a pending invitation for the same email',
      request: { params: TenantParams, body: jsonBody(z.object({ email: Email, role: InvitableRole }).openapi('InvitationInput')) },
      responses: {
        201: jsonResponse(z.object({ invitation: InvitationSchema, acceptUrl: z.string().openapi({ description: 'Single use, valid 7 days' }) }), 'Created'),
        409: conflictResponse('already_member'),
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => {
      const { email, role } = c.req.valid('json');
      const team = c.get('repos').team;
      if (await team.isMemberEmail(email)) throw conflict('already_member', 'This person is already a member of the workspace.');
      const { token, tokenHash } = newInvitationToken();
      const user = c.get('user');
      const invitation = await team.invite({ email, role, tokenHash }, { userId: user.id, now: c.get('now')() });
      return c.json(
        { invitation: { ...invitation, invitedBy: user.id, invitedByName: user.name }, acceptUrl: `${new URL(c.req.url).origin}/invite/${token}` },
        201,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'delete', path: '/{invitationId}', tags: ['team'], summary: 'Revoke a pending invitation (its link stops working)', middleware: [adminOnly()] as const,
      request: { params: InvitationParams },
      responses: { 204: { description: 'Revoked' }, ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const { invitationId } = c.req.valid('param');
      if (!(await c.get('repos').team.revokeInvitation(invitationId, { userId: c.get('user').id, now: c.get('now')() }))) throw notFound();
      return c.body(null, 204);
    },
  );
