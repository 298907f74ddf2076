/**
 * API tokens for integrations: `Authorization: Bearer <token>` on the tenant routes.
 *
 * Security model (the session module's, see auth/session.ts, adapted to long-lived secrets):
 * - The token is `jihui_<id>.<secret>`: id 120 bits, secret 160 bits from the CSPRNG. The prefix
 *   lets secret scanners (and people) recognise a leaked token. Only SHA-256(secret) is stored;
 *   the token itself is shown once, when it is created.
 * - The secret is compared in constant time. Unknown, revoked and expired tokens all answer the
 *   same 401, so a caller learns nothing about which it was.
 * - A token belongs to one tenant and acts for the member who created it, with the token's role
 *   capped by that member's current role: a creator demoted to member turns an admin token into a
 *   member token, and a creator who leaves the workspace takes the token's access with them.
 * - Bearer requests skip the same-origin check: a browser never attaches an Authorization header
 *   on its own (unlike a cookie), and a cross-site page cannot add one without a CORS preflight,
 *   which the API does not grant. A bearer request is never read as a session, and the cookie of
 *   a request that carries a bearer token is ignored.
 * - Each token is rate-limited over fixed one-minute windows counted in D1 (isolates share no
 *   memory), like login attempts.
 */
import { sha256 } from '@oslojs/crypto/sha2';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { decodeHex } from '@oslojs/encoding';
import { API_TOKEN_ROLES, type Role } from '../../db/schema';
import { randomBase32 } from '../services/ids';
import { hashSecret } from './session';

export { API_TOKEN_ROLES };

export const API_TOKEN_PREFIX = 'jihui_';
export const API_TOKEN_ID_BYTES = 15;
export const API_TOKEN_SECRET_BYTES = 20;

/** Requests per token per window, unless the API_TOKEN_RATE_LIMIT variable says otherwise. */
export const API_TOKEN_RATE_LIMIT = 600;
export const API_TOKEN_RATE_WINDOW_MS = 60 * 1000;
/** "Last used" is written at most this often per token, to spare D1 writes. */
export const API_TOKEN_LAST_USED_INTERVAL_MS = 60 * 1000;

export interface NewApiToken {
  id: string;
  secretHash: string;
  /** Shown to its creator once; never stored. */
  token: string;
}

export function newApiToken(): NewApiToken {
  const id = randomBase32(API_TOKEN_ID_BYTES);
  const secret = randomBase32(API_TOKEN_SECRET_BYTES);
  return { id, secretHash: hashSecret(secret), token: `${API_TOKEN_PREFIX}${id}.${secret}` };
}

/** The id and secret of a well-formed token, else null. */
export function parseApiToken(token: string): { id: string; secret: string } | null {
  if (!token.startsWith(API_TOKEN_PREFIX)) return null;
  const parts = token.slice(API_TOKEN_PREFIX.length).split('.');
  if (parts.length !== 2 || !/^[a-z2-7]{1,64}$/.test(parts[0]!) || !/^[a-z2-7]{1,64}$/.test(parts[1]!)) return null;
  return { id: parts[0]!, secret: parts[1]! };
}

export function secretMatches(secret: string, secretHash: string): boolean {
  return constantTimeEqual(sha256(new TextEncoder().encode(secret)), decodeHex(secretHash));
}

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** Whether `role` is no more than `ceiling` (a token's role may never exceed its creator's). */
export const roleWithin = (role: Role, ceiling: Role) => RANK[role] <= RANK[ceiling];

/** The lesser of two roles: what a token may do given its creator's current role. */
export const lesserRole = (a: Role, b: Role): Role => (RANK[a] <= RANK[b] ? a : b);

/** The per-minute limit from the environment variable, or the default for a missing/bad value. */
export function rateLimitFrom(value: string | undefined): number {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : API_TOKEN_RATE_LIMIT;
}
