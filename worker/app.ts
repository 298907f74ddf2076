// The Hono app: one error body (problem+json), request ids, same-origin checks on mutations,
// sessions, and the routers. Tenant routes live under /api/t/:tenant behind tenantScope().
import { HTTPException } from 'hono/http-exception';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import type { Context } from 'hono';
import type { AppEnv, TenantEnv } from './env';
import { ProblemError, notFound, problemBody, rootMessage } from './errors';
import { requestContext, type ContextOptions } from './middleware/context';
import { API_TOKEN_RATE_LIMIT } from './auth/api-token';
import { SESSION_COOKIE } from './auth/session';
import { bearerAuth } from './middleware/api-token';
import { sameOrigin } from './middleware/same-origin';
import { sessionReader } from './middleware/session';
import { tenantScope } from './middleware/tenant';
import { newRouter } from './openapi';
import { accountRoutes } from './routes/accounts';
import { authRoutes } from './routes/auth';
import { boardRoutes } from './routes/board';
import { opportunityRoutes } from './routes/opportunities';
import { pipelineAdminRoutes } from './routes/pipelines';
import { catalogRoutes } from './routes/catalog';
import { contactRoutes } from './routes/contacts';
import { healthRoutes } from './routes/health';
import { templateRoutes } from './routes/templates';
import { workspaceRoutes } from './routes/workspace';
import { auditRoutes } from './routes/audit';
import { catalogKindRoutes } from './routes/catalog-admin';
import { settingsRoutes } from './routes/settings';
import { statsRoutes } from './routes/stats';
import { invitationAdminRoutes, memberRoutes } from './routes/team';
import { invitationRoutes } from './routes/invitations';
import { forecastRoutes } from './routes/forecast';
import { tokenRoutes } from './routes/tokens';
import { exportRoutes } from './routes/exports';
import { importRoutes } from './routes/imports';
import { MAX_FILE_BYTES } from './services/import';

const MAX_BODY_BYTES = 1024 * 1024;
// CSV uploads (POST /api/t/:tenant/imports) may carry a file of up to MAX_FILE_BYTES, plus the form's own fields.
const IMPORT_UPLOAD = /^\/api\/t\/[^/]+\/imports\/?$/;
const MAX_UPLOAD_BYTES = MAX_FILE_BYTES + 256 * 1024;

// D1 reports overload and transient failures with these phrases; the client may retry.
const RETRYABLE_D1 = /overloaded|Network connection lost|storage caused object to be reset|object to be reset|timed out|Too many requests queued|D1_ERROR: .*(reset|unavailable|internal error)/i;

export function createApp(options: ContextOptions = {}) {
  // `.use()` returns a plain Hono type, so the scope is applied first and the routes chained
  // after: that keeps every tenant route in AppType for the typed client.
  const tenantApp = newRouter<TenantEnv>();
  tenantApp.use('*', tenantScope());
  const tenantRoutes = tenantApp
    .route('/', workspaceRoutes)
    .route('/pipelines', boardRoutes)
    .route('/', pipelineAdminRoutes)
    .route('/opportunities', opportunityRoutes)
    .route('/catalog', catalogRoutes)
    .route('/accounts', accountRoutes)
    .route('/contacts', contactRoutes)
    .route('/catalog/opportunity-types', catalogKindRoutes('opportunity-types'))
    .route('/catalog/sources', catalogKindRoutes('sources'))
    .route('/catalog/lost-reasons', catalogKindRoutes('lost-reasons'))
    .route('/catalog/products', catalogKindRoutes('products'))
    .route('/settings', settingsRoutes)
    .route('/stats', statsRoutes)
    .route('/audit', auditRoutes)
    .route('/members', memberRoutes)
    .route('/invitations', invitationAdminRoutes)
    .route('/forecast', forecastRoutes)
    .route('/tokens', tokenRoutes)
    .route('/exports', exportRoutes)
    .route('/imports', importRoutes);

  const app = newRouter<AppEnv>();
  app.use('/api/*', requestId());
  app.use('/api/*', requestContext(options));
  const jsonLimit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw new ProblemError(413, 'body_too_large', 'Payload too large', 'The request body is larger than 1 MB.'); } });
  const uploadLimit = bodyLimit({ maxSize: MAX_UPLOAD_BYTES, onError: () => { throw new ProblemError(413, 'file_too_large', 'Payload too large', `The file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB. Split it into several files.`); } });
  app.use('/api/*', (c, next) => (c.req.method === 'POST' && IMPORT_UPLOAD.test(c.req.path) ? uploadLimit : jsonLimit)(c, next));
  app.use('/api/*', bearerAuth());
  app.use('/api/*', sameOrigin());
  app.use('/api/*', sessionReader());
  const routes = app
    .route('/api/health', healthRoutes)
    .route('/api/templates', templateRoutes)
    .route('/api/auth', authRoutes)
    .route('/api/invitations', invitationRoutes)
    .route('/api/t/:tenant', tenantRoutes);

  app.openAPIRegistry.registerComponent('securitySchemes', 'cookieAuth', {
    type: 'apiKey', in: 'cookie', name: SESSION_COOKIE,
    description: 'The browser session, set by POST /api/auth/login or signup. State-changing requests must come from this site (Sec-Fetch-Site or Origin).',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http', scheme: 'bearer',
    description: `An API token created by an owner or admin under Settings → API tokens: \`Authorization: Bearer jihui_…\`. It works on /api/t/{tenant}/… of its own workspace only, with its role (never above its creator's), and may make ${API_TOKEN_RATE_LIMIT} requests a minute by default (then 429 with Retry-After). No same-origin check: no cookie is involved.`,
  });
  // Generated once per app, on first request: every tenant route accepts both schemes; the
  // session routes the cookie; the rest is public.
  let document: ReturnType<typeof app.getOpenAPI31Document> | null = null;
  app.get('/api/openapi.json', (c) => {
    document ??= withSecurity(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Jihui API', version: '0.1.0',
          description: 'Multi-tenant CRM: opportunities, pipelines, follow-ups, forecasts, exports. Tenant routes live under /api/t/{tenant} (the workspace slug) and answer 404 for a workspace you do not belong to. Errors are application/problem+json (RFC 9457). Browse this document at /api/docs.',
        },
      }),
    );
    return c.json(document);
  });

  app.notFound((c) => problemResponse(c, notFound()));
  app.onError((error, c) => {
    if (error instanceof ProblemError) return problemResponse(c, error);
    if (error instanceof HTTPException) {
      // Hono's own errors (e.g. malformed JSON) carry safe, generic messages.
      return problemResponse(c, new ProblemError(error.status, 'bad_request', 'Bad request', error.message || 'The request could not be read.'));
    }
    // Logs carry the root cause only: drizzle's wrapper message includes the SQL and its bound
    // parameters (emails, password hashes), which must not reach the logs either.
    const message = rootMessage(error);
    console.error(JSON.stringify({ level: 'error', requestId: c.get('requestId'), method: c.req.method, path: c.req.path, message }));
    if (RETRYABLE_D1.test(message)) {
      c.header('Retry-After', '1');
      return problemResponse(c, new ProblemError(503, 'temporarily_unavailable', 'Service unavailable', 'The database is busy. Please try again in a moment.', { retryAfter: 1 }));
    }
    return problemResponse(c, new ProblemError(500, 'internal', 'Internal error', 'Something went wrong on our side. Please try again; if it persists, tell us the request id.'));
  });
  return routes;
}

type OpenApiDocument = ReturnType<ReturnType<typeof newRouter>['getOpenAPI31Document']>;

const SESSION_ONLY = new Set(['/api/auth/me', '/api/auth/logout']);

/** Adds each operation's security requirement: cookie or bearer on tenant routes, cookie on the session's own. */
function withSecurity(document: OpenApiDocument): OpenApiDocument {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    const security: Record<string, string[]>[] | null = path.startsWith('/api/t/') ? [{ cookieAuth: [] }, { bearerAuth: [] }] : SESSION_ONLY.has(path) ? [{ cookieAuth: [] }] : null;
    if (!security || !item) continue;
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const) {
      const operation = item[method];
      if (operation) operation.security = security;
    }
  }
  return document;
}

function problemResponse(c: Context, error: ProblemError) {
  const body = problemBody(error, c.get('requestId') as string | undefined);
  if (typeof error.extensions.retryAfter === 'number') c.header('Retry-After', String(error.extensions.retryAfter));
  // RFC 6750: a refused bearer token says so in WWW-Authenticate.
  if (error.code === 'invalid_token') c.header('WWW-Authenticate', 'Bearer realm="jihui", error="invalid_token"');
  return c.body(JSON.stringify(body), error.status as 400, { 'Content-Type': 'application/problem+json' });
}

export const app = createApp();
export type AppType = typeof app;
