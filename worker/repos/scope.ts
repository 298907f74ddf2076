import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding';
import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import type { Role } from '../../db/schema';

export interface Viewer {
  userId: string;
  role: Role;
  /** The workspace setting "members see only their own opportunities". */
  ownOnly: boolean;
  /** Set when the request authenticated with an API token: audit rows name it. */
  apiTokenId?: string | null;
}

/** What every tenant repo is built from: the database, the tenant, and who is looking. */
export interface RepoScope {
  db: Database;
  tenantId: string;
  viewer: Viewer | undefined;
  /** Set when the viewer may see only opportunities they own. */
  restrictToOwner: string | null;
}

export function repoScope(db: Database, tenantId: string, viewer?: Viewer): RepoScope {
  const restrictToOwner = viewer?.ownOnly && (viewer.role === 'member' || viewer.role === 'viewer') ? viewer.userId : null;
  return { db, tenantId, viewer, restrictToOwner };
}

/** Opaque keyset cursor: the sort value and id of the last row of a page (UTF-8 safe: 中文 titles). */
export function encodeCursor(values: readonly (string | number | null)[]): string {
  return encodeBase64urlNoPadding(new TextEncoder().encode(JSON.stringify(values)));
}

export function decodeCursor(cursor: string): (string | number | null)[] | null {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(decodeBase64urlIgnorePadding(cursor)));
    return Array.isArray(value) && value.every((v) => v === null || typeof v === 'string' || typeof v === 'number') ? value : null;
  } catch {
    return null;
  }
}

/**
 * Case-insensitive (ASCII, like SQLite's LIKE) substring match of `term` in `column`, with every
 * character of the term literal. instr(), not LIKE: D1 refuses LIKE patterns over 50 bytes ("LIKE or
 * GLOB pattern too complex" — 17 Chinese characters), and instr() needs no escaping of % _ \.
 */
export function containsText(column: SQLWrapper, term: string): SQL {
  return sql`instr(lower(${column}), lower(${term})) > 0`;
}

/** Epoch milliseconds as the API's ISO 8601 instant. */
export function isoInstant(ms: number): string;
export function isoInstant(ms: number | null): string | null;
export function isoInstant(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
