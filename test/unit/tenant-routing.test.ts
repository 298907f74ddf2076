// The tenant → database seam (db/client.ts tenantDatabaseBinding): one function decides where a
// tenant's rows live. Proven through the real Worker: a tenant placed on another binding is served
// from that binding and only that one; unlisted tenants stay on DB; misconfiguration fails loudly.
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { tenantDatabaseBinding } from '../../db/client';
import worker from '../../worker';
import { ORIGIN, signUp } from '../helpers/api';

/** A D1 binding that forwards to the test database and counts what reaches it. */
function countingD1(target: D1Database) {
  const counter = { statements: 0 };
  const binding = {
    prepare(query: string) {
      counter.statements++;
      return target.prepare(query);
    },
    batch(statements: D1PreparedStatement[]) {
      counter.statements += statements.length;
      return target.batch(statements);
    },
    exec: (query: string) => target.exec(query),
    dump: () => target.dump(),
    withSession: (constraint?: string) => target.withSession(constraint),
  } as unknown as D1Database;
  return { binding, counter };
}

describe('tenant → database routing', () => {
  it('puts every tenant on DB when nothing is configured', () => {
    expect(tenantDatabaseBinding(env, 'any-tenant')).toBe(env.DB);
    expect(tenantDatabaseBinding({ ...env, TENANT_DATABASES: '' } as typeof env, 'any-tenant')).toBe(env.DB);
  });

  it('serves a placed tenant from its own binding and no other tenant from it', async () => {
    const a = await signUp({ workspaceName: 'Routed Alpha', template: 'b2b-general', sampleData: true });
    const b = await signUp({ workspaceName: 'Unrouted Beta', template: 'b2b-general', sampleData: true });
    const shard = countingD1(env.DB);
    const routedEnv = { ...env, SHARD_B: shard.binding, TENANT_DATABASES: JSON.stringify({ [a.tenant.id]: 'SHARD_B' }) } as typeof env;
    const get = (slug: string, cookie: string | null) =>
      worker.fetch(new Request(`${ORIGIN}/api/t/${slug}/opportunities?limit=5`, { headers: { cookie: cookie ?? '' } }), routedEnv, createExecutionContext());

    const before = shard.counter.statements;
    const other = await get(b.tenant.slug, b.client.cookie);
    expect(other.status).toBe(200);
    expect(shard.counter.statements).toBe(before);

    const routed = await get(a.tenant.slug, a.client.cookie);
    expect(routed.status).toBe(200);
    const body = (await routed.json()) as { opportunities: unknown[] };
    expect(body.opportunities.length).toBeGreaterThan(0);
    expect(shard.counter.statements).toBeGreaterThan(before);
  });

  it('fails loudly for a placement on an unbound database or a malformed map', () => {
    const unbound = { ...env, TENANT_DATABASES: JSON.stringify({ t1: 'NOT_BOUND' }) } as typeof env;
    expect(() => tenantDatabaseBinding(unbound, 't1')).toThrow(/not a bound D1 database/);
    expect(tenantDatabaseBinding(unbound, 't2')).toBe(env.DB);
    expect(() => tenantDatabaseBinding({ ...env, TENANT_DATABASES: '{oops' } as typeof env, 't1')).toThrow(/not valid JSON/);
    expect(() => tenantDatabaseBinding({ ...env, TENANT_DATABASES: '["DB"]' } as typeof env, 't1')).toThrow(/JSON object/);
  });
});
