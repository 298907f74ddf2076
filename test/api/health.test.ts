import { describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/api';

describe('GET /api/health', () => {
  it('answers ok after checking the database', async () => {
    const response = await new ApiClient().get('/api/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok', database: 'ok' });
  });

  it('sends a request id with every response', async () => {
    const response = await new ApiClient().get('/api/health');
    expect(response.headers.get('x-request-id')).toMatch(/.{8,}/);
  });

  it('answers an unknown API path with a problem+json 404', async () => {
    const response = await new ApiClient().get('/api/no-such-thing');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body).toMatchObject({ status: 404, title: 'Not found' });
  });
});
