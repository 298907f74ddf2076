// Who changed what, when, from what to what.
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { id, tenantId } from './columns';

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: id(),
    tenantId: tenantId(),
    actorUserId: text(),
    // Set when the change came through an API token (the actor is then the token's creator).
    actorTokenId: text(),
    action: text().notNull(),
    entityType: text().notNull(),
    entityId: text(),
    before: text({ mode: 'json' }).$type<unknown>(),
    after: text({ mode: 'json' }).$type<unknown>(),
    at: integer().notNull(),
  },
  (t) => [
    index('audit_log_tenant_time_idx').on(t.tenantId, t.at),
    index('audit_log_tenant_entity_idx').on(t.tenantId, t.entityType, t.entityId),
  ],
);
