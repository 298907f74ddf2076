// The typed API client: URLs, inputs and outputs come from the Worker's route definitions, so a
// renamed route or changed response shape fails `svelte-check`, not the user's browser.
import { hc } from 'hono/client';
import type { AppType } from '../../../../worker/app';

const OPTIONS = { init: { credentials: 'same-origin' } } satisfies Parameters<typeof hc>[1];

/** Same-origin client for every route of the Worker (relative URLs: /api/…). */
export const api = hc<AppType>('', OPTIONS).api;

/** Tenant routes (/api/t/:tenant/…): `tenantApi.pipelines.$get({ param: { tenant } })`. */
export const tenantApi = api.t[':tenant'];
