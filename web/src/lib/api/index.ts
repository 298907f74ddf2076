// The API calls the SPA makes, one function each, typed end to end from the Worker's routes.
import type { InferRequestType, InferResponseType } from 'hono/client';
import { api, tenantApi } from './client';
import { call } from './errors';

export { ApiError, errorMessage, fieldErrorMessage } from './errors';

type TemplatesBody = InferResponseType<typeof api.templates.$get, 200>;
type MeBody = InferResponseType<typeof api.auth.me.$get, 200>;
type WorkspaceBody = InferResponseType<typeof tenantApi.$get, 200>;
type PipelinesBody = InferResponseType<typeof tenantApi.pipelines.$get, 200>;

export type Template = TemplatesBody['templates'][number];
export type Me = MeBody;
export type WorkspaceMembership = MeBody['workspaces'][number];
export type Tenant = WorkspaceBody['tenant'];
export type Role = WorkspaceBody['role'];
export type Pipeline = PipelinesBody['pipelines'][number];
export type Stage = Pipeline['stages'][number];
export type SignupInput = InferRequestType<typeof api.auth.signup.$post>['json'];
export type LoginInput = InferRequestType<typeof api.auth.login.$post>['json'];

export const fetchTemplates = () => call(() => api.templates.$get());

export const signup = (json: SignupInput) => call(() => api.auth.signup.$post({ json }));

/** A 401 here means wrong credentials, not an expired session: no redirect. */
export const login = (json: LoginInput) => call(() => api.auth.login.$post({ json }), { redirectOnUnauthorized: false });

export const logout = () => call(() => api.auth.logout.$post());

export const fetchMe = (options?: { redirectOnUnauthorized?: boolean }) => call(() => api.auth.me.$get(), options);

export const fetchWorkspace = (tenant: string) => call(() => tenantApi.$get({ param: { tenant } }));

export const fetchPipelines = (tenant: string) => call(() => tenantApi.pipelines.$get({ param: { tenant } }));
