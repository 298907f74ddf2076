import { describe, expect, it } from 'vitest';
import { addMember, signUp } from '../helpers/api';

describe('roles on tenant routes', () => {
  it('lets a viewer read the workspace', async () => {
    const owner = await signUp();
    const viewer = await addMember(owner.tenant.id, 'viewer');
    const response = await viewer.client.get(`/api/t/${owner.tenant.slug}/pipelines`);
    expect(response.status).toBe(200);
  });

  it('answers a viewer’s state-changing request with 403 problem+json', async () => {
    const owner = await signUp();
    const viewer = await addMember(owner.tenant.id, 'viewer');
    const response = await viewer.client.post(`/api/t/${owner.tenant.slug}/anything`, {});
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('read_only');
  });
});
