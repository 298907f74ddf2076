// Column helpers shared by every table group. Column names are camelCase here and snake_case in
// SQL (drizzle's `casing: 'snake_case'`, set in db/client.ts and drizzle.config.ts).
import { integer, text } from 'drizzle-orm/sqlite-core';

/** Random text primary key (see worker/services/ids.ts). */
export const id = () => text().primaryKey();

/** Every tenant-owned table carries its tenant; indexes start with it. */
export const tenantId = () => text().notNull();

/** Instants are UTC epoch milliseconds. */
export const instant = () => integer();

export const createdAt = () => integer().notNull();
export const updatedAt = () => integer().notNull();

/** Ordering within a list (catalogs, stages): small integers, rewritten on reorder. */
export const position = () => integer().notNull().default(0);

/** Archived values stay on old records but disappear from pickers. */
export const archivedAt = () => integer();
