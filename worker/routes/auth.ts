import { createRoute, z } from '@hono/zod-openapi';
import { LOCALES, TEMPLATES, findTemplate } from '../../db/seed/templates';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, hashPassword, passwordKdf, verifyDummyPassword, verifyPassword } from '../auth/password';
import { isCommonPassword } from '../auth/common-passwords';
import { LOGIN_LIMIT_PER_ACCOUNT, LOGIN_LIMIT_PER_IP, LOGIN_WINDOW_MS, SIGNUP_LIMIT_PER_IP, SIGNUP_WINDOW_MS } from '../auth/limits';
import { newSession } from '../auth/session';
import { DEFAULT_TIMEZONE, createWorkspace } from '../auth/signup';
import { recomputeSampleWorkspace } from '../jobs/recompute';
import type { AppEnv } from '../env';
import { badRequest, conflict, tooManyRequests, unauthorized } from '../errors';
import { clearSessionCookie, requireUser, writeSessionCookie } from '../middleware/session';
import { AUTHENTICATED_ERRORS, COMMON_ERRORS, jsonBody, jsonResponse, newRouter } from '../openapi';
import { rateLimitAddress } from '../services/client-address';
import { isValidTimeZone } from '../services/dates';


const Email = z.string().trim().toLowerCase().max(254).pipe(z.email({ message: 'Enter a valid email address.' }));
const Password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, { message: `Use at least ${PASSWORD_MIN_LENGTH} characters.` })
  .max(PASSWORD_MAX_LENGTH, { message: `Use at most ${PASSWORD_MAX_LENGTH} characters.` });

const UserSchema = z.object({ id: z.string(), email: z.string(), name: z.string(), locale: z.enum(LOCALES) }).openapi('User');
const WorkspaceSchema = z
  .object({ id: z.string(), slug: z.string(), name: z.string(), role: z.enum(['owner', 'admin', 'member', 'viewer']) })
  .openapi('WorkspaceMembership');
const MeSchema = z.object({ user: UserSchema, workspaces: z.array(WorkspaceSchema) }).openapi('Me');

const SignupSchema = z
  .object({
    email: Email,
    password: Password,
    name: z.string().trim().min(1, { message: 'Enter your name.' }).max(80),
    workspaceName: z.string().trim().min(1, { message: 'Name your workspace.' }).max(80),
    template: z.enum(TEMPLATES.map((t) => t.id) as [string, ...string[]], { message: 'Choose one of the templates.' }),
    locale: z.enum(LOCALES).optional(),
    timezone: z.string().max(64).refine(isValidTimeZone, { message: 'Unknown time zone.' }).optional(),
    sampleData: z.boolean().optional().default(false),
  })
  .superRefine((value, ctx) => {
    if (isCommonPassword(value.password) || value.password.toLowerCase() === value.email) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'This password is too easy to guess. Choose another.' });
    }
  })
  .openapi('Signup');

const LoginSchema = z.object({ email: Email, password: z.string().min(1, { message: 'Enter your password.' }).max(PASSWORD_MAX_LENGTH) }).openapi('Login');

const PasswordChangeSchema = z
  .object({ currentPassword: z.string().min(1, { message: 'Enter your current password.' }).max(PASSWORD_MAX_LENGTH), newPassword: Password })
  .openapi('PasswordChange');

const toUser = (u: { id: string; email: string; name: string; locale: string }) => ({ ...u, locale: u.locale === 'zh-CN' ? ('zh-CN' as const) : ('en' as const) });

export const authRoutes = newRouter<AppEnv>()
  .openapi(
    createRoute({
      method: 'post',
      path: '/signup',
      tags: ['auth'],
      summary: 'Create an account and a workspace from a template; logs in',
      request: { body: jsonBody(SignupSchema) },
      responses: {
        201: jsonResponse(z.object({ user: UserSchema, tenant: z.object({ id: z.string(), slug: z.string(), name: z.string() }) }), 'Created; the session cookie is set'),
        409: { description: 'Email already registered', content: { 'application/problem+json': { schema: z.any() } } },
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const identity = c.get('identity');
      const now = c.get('now')();
      const wait = await identity.countAttempt(
        [{ key: `signup-ip:${rateLimitAddress(c.req.header('cf-connecting-ip'))}`, limit: SIGNUP_LIMIT_PER_IP }],
        SIGNUP_WINDOW_MS,
        now,
      );
      if (wait > 0) throw tooManyRequests(wait);
      const template = findTemplate(body.template);
      if (!template) throw badRequest([{ path: 'template', message: 'Choose one of the templates.' }]);
      if (await identity.emailExists(body.email)) {
        throw conflict('email_taken', 'An account with this email already exists. Log in instead.');
      }
      const locale = body.locale ?? (c.req.header('accept-language')?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en');
      const input = {
        email: body.email,
        passwordHash: await hashPassword(body.password, passwordKdf(c.env)),
        name: body.name,
        workspaceName: body.workspaceName,
        template,
        locale,
        timezone: body.timezone ?? DEFAULT_TIMEZONE[locale],
        sampleData: body.sampleData,
      };
      let created;
      for (let attempt = 1; !created; attempt++) {
        try {
          created = await createWorkspace(identity, input, now);
        } catch (error) {
          // Races lose at a unique index and the batch writes nothing: two signups for one email
          // → 409; two workspaces taking one slug at once → try again with a suffixed slug.
          const text = `${String(error)} ${String((error as { cause?: unknown }).cause)}`;
          if (text.includes('users.email')) throw conflict('email_taken', 'An account with this email already exists. Log in instead.');
          if (!text.includes('tenants.slug') || attempt >= 3) throw error;
        }
      }
      writeSessionCookie(c, created.token, created.session, now);
      if (input.sampleData && template.sample) {
        // The sample's history gets its statistics at once, in the background: the reports page
        // has data within seconds and the signup does not wait for it.
        const recompute = recomputeSampleWorkspace(c.env, { id: created.tenant.id, timezone: input.timezone }, created.user.id, now);
        try {
          c.executionCtx.waitUntil(recompute);
        } catch {
          // No execution context (the app called directly, as in unit tests): let it run on.
        }
      }
      return c.json({ user: created.user, tenant: created.tenant }, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/login',
      tags: ['auth'],
      summary: 'Log in with email and password',
      request: { body: jsonBody(LoginSchema) },
      responses: {
        200: jsonResponse(MeSchema, 'Logged in; a new session cookie is set'),
        401: { description: 'Email or password incorrect (the same answer for both)', content: { 'application/problem+json': { schema: z.any() } } },
        429: { description: 'Too many failed attempts; see Retry-After', content: { 'application/problem+json': { schema: z.any() } } },
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { email, password } = c.req.valid('json');
      const identity = c.get('identity');
      const now = c.get('now')();
      const accountKey = `login-account:${email}`;
      const ipKey = `login-ip:${rateLimitAddress(c.req.header('cf-connecting-ip'))}`;
      const wait = await identity.countAttempt(
        [
          { key: accountKey, limit: LOGIN_LIMIT_PER_ACCOUNT },
          { key: ipKey, limit: LOGIN_LIMIT_PER_IP },
        ],
        LOGIN_WINDOW_MS,
        now,
      );
      if (wait > 0) throw tooManyRequests(wait);
      const credentials = await identity.findCredentials(email);
      // Unknown emails cost a full hash too, so response time does not reveal which exist.
      const valid = credentials?.passwordHash
        ? await verifyPassword(password, credentials.passwordHash)
        : await verifyDummyPassword(password, passwordKdf(c.env));
      if (!valid || !credentials) throw unauthorized('invalid_credentials', 'The email or password is incorrect.');
      await Promise.all([identity.clearAttempts(accountKey), identity.uncountAttempt(ipKey)]);
      // A fresh session on every login (never reuse one a browser brought along).
      const previous = c.get('sessionId');
      if (previous) await identity.sessions.deleteSession(previous);
      const { passwordHash: _hash, ...user } = credentials;
      const { session, token } = newSession(user.id, now);
      await identity.sessions.insertSession(session);
      writeSessionCookie(c, token, session, now);
      return c.json({ user: toUser(user), workspaces: await identity.workspacesOf(user.id) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/logout',
      tags: ['auth'],
      summary: 'End the current session',
      responses: { 204: { description: 'Logged out; the cookie is cleared' }, ...COMMON_ERRORS },
    }),
    async (c) => {
      const sessionId = c.get('sessionId');
      if (sessionId) await c.get('identity').sessions.deleteSession(sessionId);
      clearSessionCookie(c);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/password',
      tags: ['auth'],
      summary: 'Change the password; ends every session of the account and starts a new one here',
      middleware: [requireUser()] as const,
      request: { body: jsonBody(PasswordChangeSchema) },
      responses: {
        204: { description: 'Changed; every other session ended, a new session cookie is set' },
        429: { description: 'Too many wrong current passwords; see Retry-After', content: { 'application/problem+json': { schema: z.any() } } },
        ...AUTHENTICATED_ERRORS,
      },
    }),
    async (c) => {
      const { currentPassword, newPassword } = c.req.valid('json');
      const identity = c.get('identity');
      const user = c.get('user')!;
      const now = c.get('now')();
      if (isCommonPassword(newPassword) || newPassword.toLowerCase() === user.email) {
        throw badRequest([{ path: 'newPassword', message: 'This password is too easy to guess. Choose another.' }]);
      }
      // Wrong current passwords count against the account like failed logins (same counter).
      const accountKey = `login-account:${user.email}`;
      const wait = await identity.countAttempt([{ key: accountKey, limit: LOGIN_LIMIT_PER_ACCOUNT }], LOGIN_WINDOW_MS, now);
      if (wait > 0) throw tooManyRequests(wait);
      const credentials = await identity.findCredentials(user.email);
      if (!credentials?.passwordHash || !(await verifyPassword(currentPassword, credentials.passwordHash))) {
        throw badRequest([{ path: 'currentPassword', message: 'The current password is incorrect.' }]);
      }
      await identity.clearAttempts(accountKey);
      const { session, token } = newSession(user.id, now);
      const changed = await identity.changePassword(user.id, credentials.passwordHash, await hashPassword(newPassword, passwordKdf(c.env)), session);
      if (!changed) throw conflict('password_changed', 'The password was changed meanwhile. Log in again.');
      writeSessionCookie(c, token, session, now);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/me',
      tags: ['auth'],
      summary: 'The logged-in user and their workspaces',
      middleware: [requireUser()] as const,
      responses: { 200: jsonResponse(MeSchema, 'The current user'), ...AUTHENTICATED_ERRORS },
    }),
    async (c) => {
      const user = c.get('user')!;
      return c.json({ user: toUser(user), workspaces: await c.get('identity').workspacesOf(user.id) }, 200);
    },
  );
