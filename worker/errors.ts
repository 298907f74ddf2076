// One error body for every failure: RFC 9457 problem details. Routes and middleware throw
// ProblemError; the app's onError turns it (and anything unexpected) into application/problem+json.

export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** Machine-readable reason the client can translate (e.g. "invalid_credentials"). */
  code?: string;
  errors?: FieldError[];
  requestId?: string;
  [extension: string]: unknown;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export const badRequest = (errors: FieldError[], detail = 'The request has invalid fields.') =>
  new ProblemError(400, 'validation_failed', 'Invalid request', detail, { errors });
export const unauthorized = (code = 'unauthenticated', detail = 'Log in to continue.') =>
  new ProblemError(401, code, 'Unauthorized', detail);
export const forbidden = (code: string, detail: string) => new ProblemError(403, code, 'Forbidden', detail);
export const notFound = (detail = 'Nothing exists at this address.') =>
  new ProblemError(404, 'not_found', 'Not found', detail);
export const conflict = (code: string, detail: string, extensions: Record<string, unknown> = {}) =>
  new ProblemError(409, code, 'Conflict', detail, extensions);
export const tooManyRequests = (retryAfterSeconds: number) =>
  new ProblemError(429, 'rate_limited', 'Too many attempts', `Try again in ${Math.ceil(retryAfterSeconds / 60)} minutes.`, {
    retryAfter: retryAfterSeconds,
  });

export function problemBody(error: ProblemError, requestId?: string): ProblemBody {
  return {
    type: `https://jihui.app/problems/${error.code.replaceAll('_', '-')}`,
    title: error.title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    ...error.extensions,
    ...(requestId ? { requestId } : {}),
  };
}

/**
 * The innermost cause's message — what logs may carry. drizzle wraps D1 errors as "Failed query:
 * <sql> params: …", and the bound parameters are customer data (names, emails, amounts, hashes).
 */
export function rootMessage(error: unknown): string {
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause !== undefined; depth++) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
