/**
 * Sessions, after Lucia's current guide (lucia-auth.com; the v3 `lucia` package is deprecated).
 *
 * Security model:
 * - The token handed to the browser is `<id>.<secret>`: id 120 bits, secret 160 bits, both from
 *   the CSPRNG. Only SHA-256(secret) is stored, so a leaked sessions table cannot be replayed.
 * - The secret is compared in constant time; a token whose id exists but secret differs is invalid.
 * - Sliding expiry: a session unused for INACTIVITY_TIMEOUT ends; activity is written back at most
 *   once per ACTIVITY_CHECK_INTERVAL to spare D1 writes. ABSOLUTE_TIMEOUT ends it regardless.
 * - The cookie is HttpOnly; Secure; SameSite=Lax; Path=/, named with the __Host- prefix so a
 *   sibling subdomain cannot plant or overwrite it. Browsers accept Secure (and __Host-) cookies
 *   on http://localhost (a secure context), so the same attributes serve development and production.
 * - Cookies alone don't stop cross-site JSON posts: see middleware/same-origin.ts.
 */
import { sha256 } from '@oslojs/crypto/sha2';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { decodeHex, encodeHexLowerCase } from '@oslojs/encoding';
import { randomBase32 } from '../services/ids';

export const SESSION_COOKIE = '__Host-jihui_session';
export const INACTIVITY_TIMEOUT_MS = 10 * 24 * 60 * 60 * 1000;
export const ACTIVITY_CHECK_INTERVAL_MS = 60 * 60 * 1000;
export const ABSOLUTE_TIMEOUT_MS = 30 * 24 * 60 * 60 * 1000;

export const SESSION_ID_BYTES = 15;
export const SESSION_SECRET_BYTES = 20;

export interface StoredSession {
  id: string;
  /** Hex SHA-256 of the secret. */
  secretHash: string;
  userId: string;
  createdAt: number;
  lastVerifiedAt: number;
}

/** Storage the session logic needs (implemented by the identity repo); `findSession` may join extra data, e.g. the user. */
export interface SessionStore<Extra = unknown> {
  insertSession(session: StoredSession): Promise<void>;
  findSession(id: string): Promise<(StoredSession & { user?: Extra }) | null>;
  touchSession(id: string, lastVerifiedAt: number): Promise<void>;
  deleteSession(id: string): Promise<void>;
}

export interface NewSession {
  session: StoredSession;
  token: string;
}

export function newSession(userId: string, now: number): NewSession {
  const id = randomBase32(SESSION_ID_BYTES);
  const secret = randomBase32(SESSION_SECRET_BYTES);
  return {
    session: { id, secretHash: hashSecret(secret), userId, createdAt: now, lastVerifiedAt: now },
    token: `${id}.${secret}`,
  };
}

export type ValidationResult<Extra = unknown> =
  | { session: StoredSession & { user?: Extra }; refreshed: boolean }
  | { session: null; refreshed: false };

export async function validateSessionToken<Extra>(store: SessionStore<Extra>, token: string, now: number): Promise<ValidationResult<Extra>> {
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1] || parts[0].length > 64 || parts[1].length > 64) {
    return { session: null, refreshed: false };
  }
  const [id, secret] = parts as [string, string];
  const session = await store.findSession(id);
  if (!session) return { session: null, refreshed: false };
  if (!constantTimeEqual(decodeHex(hashSecret(secret)), decodeHex(session.secretHash))) {
    return { session: null, refreshed: false };
  }
  if (now - session.lastVerifiedAt >= INACTIVITY_TIMEOUT_MS || now - session.createdAt >= ABSOLUTE_TIMEOUT_MS) {
    await store.deleteSession(id);
    return { session: null, refreshed: false };
  }
  if (now - session.lastVerifiedAt >= ACTIVITY_CHECK_INTERVAL_MS) {
    session.lastVerifiedAt = now;
    await store.touchSession(id, now);
    return { session, refreshed: true };
  }
  return { session, refreshed: false };
}

/** Seconds until the session ends by inactivity (the cookie's Max-Age), capped by the absolute timeout. */
export function sessionMaxAgeSeconds(session: StoredSession, now: number): number {
  const end = Math.min(session.lastVerifiedAt + INACTIVITY_TIMEOUT_MS, session.createdAt + ABSOLUTE_TIMEOUT_MS);
  return Math.max(0, Math.floor((end - now) / 1000));
}

export function hashSecret(secret: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(secret)));
}
