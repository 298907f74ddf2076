import { describe, expect, it } from 'vitest';
import { ApiClient, signUp } from '../helpers/api';

describe('GET /api/t/:tenant', () => {
  it('answers the workspace and the caller’s role', async () => {
    const { client, tenant } = await signUp({ workspaceName: 'Blue Sky Realty', template: 'real-estate' });
    const response = await client.get(`/api/t/${tenant.slug}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ tenant: { id: tenant.id, slug: tenant.slug, name: 'Blue Sky Realty', templateId: 'real-estate' }, role: 'owner' });
  });

  it('answers 401 without a session', async () => {
    const { tenant } = await signUp();
    expect((await new ApiClient().get(`/api/t/${tenant.slug}`)).status).toBe(401);
  });

  it('answers 404 for a slug that does not exist', async () => {
    const { client } = await signUp();
    const response = await client.get('/api/t/no-such-workspace');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('answers 404 for another tenant’s workspace, exactly like a missing one', async () => {
    const a = await signUp({ workspaceName: 'Tenant A Ltd' });
    const b = await signUp({ workspaceName: 'Tenant B Ltd' });
    const other = await b.client.get(`/api/t/${a.tenant.slug}`);
    const missing = await b.client.get('/api/t/no-such-workspace');
    expect(other.status).toBe(404);
    expect(other.text).not.toContain('Tenant A Ltd');
    const strip = ({ requestId: _r, ...rest }: Record<string, unknown>) => rest;
    expect(strip(other.body)).toEqual(strip(missing.body));
  });
});

describe('GET /api/t/:tenant/pipelines', () => {
  it('lists the template’s pipelines with stages in order, probabilities and kinds', async () => {
    const { client, tenant } = await signUp({ template: 'b2b-general', locale: 'zh-CN' });
    const response = await client.get(`/api/t/${tenant.slug}/pipelines`);
    expect(response.status).toBe(200);
    const [first] = response.body.pipelines;
    const stages = first.stages.map((s: { name: string; probability: number; kind: string }) => [s.name, s.probability, s.kind]);
    expect(stages[0]).toEqual([expect.any(String), expect.any(Number), 'open']);
    expect(stages.some(([, p, k]: [string, number, string]) => k === 'won' && p === 100)).toBe(true);
    expect(stages.some(([, p, k]: [string, number, string]) => k === 'lost' && p === 0)).toBe(true);
    expect(first.stages.map((s: { position: number }) => s.position)).toEqual([...first.stages.keys()]);
  });

  it('counts no opportunities in a workspace created without sample data', async () => {
    const { client, tenant } = await signUp({ sampleData: false });
    const response = await client.get(`/api/t/${tenant.slug}/pipelines`);
    for (const pipeline of response.body.pipelines) {
      for (const stage of pipeline.stages) expect([stage.count, stage.amount, stage.weightedAmount]).toEqual([0, 0, 0]);
    }
  });

  it('counts the sample opportunities per stage, with amounts and weighted amounts', async () => {
    const { client, tenant } = await signUp({ template: 'b2b-general', locale: 'en', sampleData: true });
    const response = await client.get(`/api/t/${tenant.slug}/pipelines`);
    const stages = response.body.pipelines.flatMap((p: { stages: unknown[] }) => p.stages) as { count: number; amount: number; weightedAmount: number; probability: number }[];
    expect(stages.reduce((n, s) => n + s.count, 0)).toBeGreaterThan(10);
    for (const stage of stages) {
      expect(stage.weightedAmount).toBeLessThanOrEqual(stage.amount);
      if (stage.probability === 100) expect(stage.weightedAmount).toBe(stage.amount);
    }
  });
});
