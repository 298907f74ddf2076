// Following an invitation link: preview it, then accept it — as the logged-in user whose email it
// names, or by creating that user (same password rules and hashing as signup; logs in).
import { createRoute, z } from '@hono/zod-openapi';
import { isCommonPassword } from '../auth/common-passwords';
import { ACCEPT_LIMIT_PER_IP, SIGNUP_WINDOW_MS } from '../auth/limits';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, hashPassword, passwordKdf } from '../auth/password';
import { newSession } from '../auth/session';
import type { AppEnv } from '../env';
import { ProblemError, badRequest, conflict, forbidden, tooManyRequests } from '../errors';
import { writeSessionCookie } from '../middleware/session';
import { COMMON_ERRORS, Instant, ProblemSchema, jsonResponse, newRouter } from '../openapi';
import { rateLimitAddress } from '../services/client-address';
import { newId } from '../services/ids';

const invalid = () =>
  new ProblemError(410, 'invitation_invalid', 'Invitation no longer valid', 'This invitation link has expired, was revoked or has already been used. Ask for a new one.');

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ProblemSchema } } });

const TokenParams = z.object({ token: z.string().min(1).max(128).openapi({ param: { name: 'token', in: 'path' } }) });

const AcceptSchema = z
  .object({
    name: z.string().trim().min(1, { message: 'Enter your name.' }).max(80).optional(),
    password: z
      .string()
      .min(PASSWORD_MIN_LENGTH, { message: `Use at least ${PASSWORD_MIN_LENGTH} characters.` })
      .max(PASSWORD_MAX_LENGTH, { message: `Use at most ${PASSWORD_MAX_LENGTH} characters.` })
      .optional(),
    locale: z.enum(['zh-CN', 'en']).optional(),
  })
  .openapi('AcceptInvitation');

const Joined = z.object({ tenant: z.object({ id: z.string(), slug: z.string(), name: z.string() }), role: z.enum(['owner', 'admin', 'member', 'viewer']) });

export const invitationRoutes = newRouter<AppEnv>()
  .openapi(
    createRoute({
      method: 'get', path: '/{token}', tags: ['team'], summary: 'What an invitation link offers (does not use it up)',
      request: { params: TokenParams },
      responses: {
        200: jsonResponse(
          z.object({
            workspace: z.object({ name: z.string(), slug: z.string() }), email: z.string(), role: z.enum(['owner', 'admin', 'member', 'viewer']),
            inviterName: z.string().nullable(), expiresAt: Instant,
            you: z.object({ email: z.string(), matches: z.boolean(), alreadyMember: z.boolean() }).nullable().openapi({ description: 'The logged-in user, if any' }),
          }).openapi('InvitationPreview'),
          'The invitation',
        ),
        410: problem('invitation_invalid: expired, revoked or used'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { token } = c.req.valid('param');
      const repo = c.get('identity').invitations;
      const found = await repo.findUsable(token, c.get('now')());
      if (!found) throw invalid();
      const user = c.get('user');
      return c.json(
        {
          workspace: { name: found.tenantName, slug: found.tenantSlug }, email: found.email, role: found.role, inviterName: found.inviterName,
          expiresAt: new Date(found.expiresAt).toISOString(),
          you: user ? { email: user.email, matches: user.email === found.email, alreadyMember: await repo.isMember(found.tenantId, user.id) } : null,
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'post', path: '/{token}/accept', tags: ['team'],
      summary: 'Join the workspace: as the logged-in user (same email), or send { name, password } to create the account and log in',
      request: { params: TokenParams, body: { required: false, content: { 'application/json': { schema: AcceptSchema } } } },
      responses: {
        200: jsonResponse(Joined, 'Joined as the logged-in user'),
        201: jsonResponse(Joined, 'Account created and joined; the session cookie is set'),
        409: problem('already_member, or login_required: an account with this email exists'),
        410: problem('invitation_invalid: expired, revoked or used'),
        429: problem('Too many attempts; see Retry-After'),
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { token } = c.req.valid('param');
      const body = c.req.valid('json') ?? {};
      const identity = c.get('identity');
      const repo = identity.invitations;
      const now = c.get('now')();
      const wait = await identity.countAttempt([{ key: `accept-ip:${rateLimitAddress(c.req.header('cf-connecting-ip'))}`, limit: ACCEPT_LIMIT_PER_IP }], SIGNUP_WINDOW_MS, now);
      if (wait > 0) throw tooManyRequests(wait);
      const invitation = await repo.findUsable(token, now);
      if (!invitation) throw invalid();
      const joined = { tenant: { id: invitation.tenantId, slug: invitation.tenantSlug, name: invitation.tenantName }, role: invitation.role };
      const user = c.get('user');

      if (user) {
        if (user.email !== invitation.email) {
          throw forbidden('invitation_email_mismatch', `This invitation is for ${invitation.email}. Log out and open the link again, or log in with that email.`);
        }
        if (await repo.isMember(invitation.tenantId, user.id)) throw conflict('already_member', 'You are already a member of this workspace.');
        if (!(await acceptOrRefuse(() => repo.accept(invitation, { userId: user.id }, now)))) throw invalid();
        return c.json(joined, 200);
      }

      const errors: { path: string; message: string }[] = [];
      if (!body.name) errors.push({ path: 'name', message: 'Enter your name.' });
      if (!body.password) errors.push({ path: 'password', message: `Use at least ${PASSWORD_MIN_LENGTH} characters.` });
      else if (isCommonPassword(body.password) || body.password.toLowerCase() === invitation.email) {
        errors.push({ path: 'password', message: 'This password is too easy to guess. Choose another.' });
      }
      if (errors.length) throw badRequest(errors);
      const loginFirst = () => conflict('login_required', 'An account with this email already exists. Log in first, then open this link again.');
      if (await identity.emailExists(invitation.email)) throw loginFirst();
      const userId = newId();
      const { session, token: sessionToken } = newSession(userId, now);
      const locale = body.locale ?? (c.req.header('accept-language')?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en');
      const newUser = { name: body.name!, passwordHash: await hashPassword(body.password!, passwordKdf(c.env)), locale };
      let accepted: boolean;
      try {
        accepted = await repo.accept(invitation, { userId, newUser, session }, now);
      } catch (error) {
        // A concurrent accept (or signup) took the email: the batch rolled back.
        if (isUniqueClash(error)) {
          if (await repo.findUsable(token, c.get('now')())) throw loginFirst();
          throw invalid();
        }
        throw error;
      }
      if (!accepted) throw invalid();
      writeSessionCookie(c, sessionToken, session, now);
      return c.json(joined, 201);
    },
  );

const isUniqueClash = (error: unknown) => /UNIQUE constraint failed/.test(`${String(error)} ${String((error as { cause?: unknown }).cause)}`);

/** Runs an accept; a unique-key clash means a concurrent accept won: refused like a used link. */
async function acceptOrRefuse(run: () => Promise<boolean>): Promise<boolean> {
  try {
    return await run();
  } catch (error) {
    if (isUniqueClash(error)) return false;
    throw error;
  }
}
