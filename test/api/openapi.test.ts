import { describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app';
import { ApiClient } from '../helpers/api';

describe('GET /api/openapi.json', () => {
  it('documents every API route of the app, generated from the route schemas', async () => {
    const response = await new ApiClient().get('/api/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const [path, operations] of Object.entries(response.body.paths as Record<string, object>)) {
      for (const method of Object.keys(operations)) documented.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1').replace(/\/$/, '')}`);
    }
    const routes = new Set<string>();
    for (const route of createApp().routes) {
      if (route.method === 'ALL' || route.path === '/api/openapi.json') continue;
      routes.add(`${route.method} ${route.path.replace(/\/$/, '')}`);
    }
    expect([...routes].filter((r) => !documented.has(r))).toEqual([]);
  });

  it('describes validation errors as problem+json', async () => {
    const response = await new ApiClient().get('/api/openapi.json');
    expect(response.body.components.schemas.Problem.properties).toHaveProperty('errors');
  });
});

describe('authentication in the OpenAPI document', () => {
  it('declares cookie and bearer schemes; tenant routes accept either, public routes neither', async () => {
    const document = (await new ApiClient().get('/api/openapi.json')).body;
    expect(document.components.securitySchemes).toMatchObject({
      cookieAuth: { type: 'apiKey', in: 'cookie', name: '__Host-jihui_session' },
      bearerAuth: { type: 'http', scheme: 'bearer' },
    });
    expect(document.paths['/api/t/{tenant}/opportunities'].get.security).toEqual([{ cookieAuth: [] }, { bearerAuth: [] }]);
    expect(document.paths['/api/t/{tenant}/tokens'].post.security).toEqual([{ cookieAuth: [] }, { bearerAuth: [] }]);
    expect(document.paths['/api/auth/me'].get.security).toEqual([{ cookieAuth: [] }]);
    expect(document.paths['/api/health'].get.security).toBeUndefined();
  });
});
