// Tenants, people, their memberships and sessions.
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, tenantId, updatedAt } from './columns';

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const tenants = sqliteTable(
  'tenants',
  {
    id: id(),
    slug: text().notNull(),
    name: text().notNull(),
    locale: text().notNull(),
    currency: text().notNull(),
    timezone: text().notNull(),
    fiscalYearStartMonth: integer().notNull().default(1),
    templateId: text().notNull(),
    membersSeeOwnOnly: integer({ mode: 'boolean' }).notNull().default(false),
    lastSnapshotDate: text(),
    // Sales targets drawn on the forecast chart (minor units); null = not set.
    salesTargetMonthly: integer(),
    salesTargetQuarterly: integer(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('tenants_slug_uq').on(t.slug)],
);

export const users = sqliteTable(
  'users',
  {
    id: id(),
    // Stored lower-cased and trimmed; unique across the whole service.
    email: text().notNull(),
    name: text().notNull(),
    // Null for sample teammates created by templates: they cannot log in.
    passwordHash: text(),
    locale: text().notNull(),
    passwordChangedAt: instant(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_email_uq').on(t.email)],
);

export const memberships = sqliteTable(
  'memberships',
  {
    tenantId: tenantId(),
    userId: text().notNull(),
    role: text({ enum: ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId] }), index('memberships_user_idx').on(t.userId)],
);

// Lucia's current design: the token is `${id}.${secret}`; only SHA-256(secret) is stored.
export const sessions = sqliteTable(
  'sessions',
  {
    id: id(),
    // Hex SHA-256 of the token's secret.
    secretHash: text().notNull(),
    userId: text().notNull(),
    createdAt: createdAt(),
    lastVerifiedAt: integer().notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_last_verified_idx').on(t.lastVerifiedAt)],
);

export const invitations = sqliteTable(
  'invitations',
  {
    id: id(),
    tenantId: tenantId(),
    email: text().notNull(),
    role: text({ enum: ROLES }).notNull(),
    tokenHash: text().notNull(),
    invitedBy: text().notNull(),
    expiresAt: integer().notNull(),
    acceptedAt: instant(),
    createdAt: createdAt(),
  },
  (t) => [
    index('invitations_tenant_idx').on(t.tenantId, t.createdAt),
    uniqueIndex('invitations_token_uq').on(t.tokenHash),
  ],
);

// API tokens for integrations (Authorization: Bearer). Like sessions, the token is `<id>.<secret>`
// and only SHA-256(secret) is stored. A token acts for its creator within its tenant, with its own
// role (never above the creator's current one); revoked tokens stay as rows for the record.
export const API_TOKEN_ROLES = ['admin', 'member', 'viewer'] as const;
export type ApiTokenRole = (typeof API_TOKEN_ROLES)[number];

export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: id(),
    tenantId: tenantId(),
    name: text().notNull(),
    role: text({ enum: API_TOKEN_ROLES }).notNull(),
    // Hex SHA-256 of the token's secret.
    secretHash: text().notNull(),
    createdBy: text().notNull(),
    createdAt: createdAt(),
    // Null: never expires.
    expiresAt: instant(),
    // Written at most once a minute (see identityRepo.useApiToken).
    lastUsedAt: instant(),
    revokedAt: instant(),
  },
  (t) => [index('api_tokens_tenant_idx').on(t.tenantId, t.createdAt)],
);

// Login and signup throttling must survive isolates, so counters live in D1: one row per key
// ("login-account:<email>", "login-ip:<address>", "signup-ip:<address>", "api-token:<id>") and fixed window.
export const loginAttempts = sqliteTable(
  'login_attempts',
  {
    key: text().primaryKey(),
    windowStart: integer().notNull(),
    count: integer().notNull(),
  },
  (t) => [index('login_attempts_window_idx').on(t.windowStart)],
);
