// The cross-tenant matrix: every /api/t/:tenant route and method in the app's own route table,
// called by tenant B against tenant A, must answer 404 and leak nothing of A. A route that is
// not listed here fails the suite, so new routes cannot skip the check.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app';
import { signUp } from '../helpers/api';

interface Fixture {
  slugA: string;
  /** Ids of tenant A's resources, by path parameter name. */
  idsA: Record<string, string>;
}

interface MatrixEntry {
  /** A body that would be valid for tenant A's own owner (so a 404 is not a validation error). */
  body?: (f: Fixture) => unknown;
}

const MATRIX: Record<string, MatrixEntry> = {
  'GET /api/t/:tenant': {},
  'GET /api/t/:tenant/pipelines': {},
};

function tenantRoutes(): string[] {
  const seen = new Set<string>();
  for (const route of createApp().routes) {
    if (route.method === 'ALL' || !route.path.startsWith('/api/t/:tenant')) continue;
    seen.add(`${route.method} ${route.path}`);
  }
  return [...seen].sort();
}

describe('cross-tenant isolation matrix', () => {
  it('covers every tenant route in the route table', () => {
    const routes = tenantRoutes();
    expect(routes.length).toBeGreaterThan(0);
    expect(routes.filter((r) => !(r in MATRIX))).toEqual([]);
    expect(Object.keys(MATRIX).filter((r) => !routes.includes(r))).toEqual([]);
  });

  it.each(tenantRoutes())('%s answers 404 to another tenant and leaks nothing', async (key) => {
    const a = await signUp({ workspaceName: 'Secret Alpha Trading', template: 'b2b-general', sampleData: true });
    const b = await signUp({ workspaceName: 'Beta Other Co', template: 'saas' });
    const fixture: Fixture = { slugA: a.tenant.slug, idsA: {} };
    const [method, path] = key.split(' ') as [string, string];
    const url = path.replace(':tenant', fixture.slugA).replace(/:(\w+)/g, (_, name: string) => fixture.idsA[name] ?? `missing-${name}`);
    const entry = MATRIX[key]!;
    const response = await b.client.request(method, url, entry.body?.(fixture));
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    for (const secret of [a.tenant.id, 'Secret Alpha Trading', a.user.id]) expect(response.text).not.toContain(secret);
    // And tenant A's owner reaches the same route (the 404 above is isolation, not a broken route).
    const own = await a.client.request(method, url, entry.body?.(fixture));
    expect(own.status).toBeLessThan(400);
  });
});
