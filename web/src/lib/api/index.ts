// The API calls the SPA makes, one function each, typed end to end from the Worker's routes.
import type { InferRequestType, InferResponseType } from 'hono/client';
import { api, tenantApi } from './client';
import { ApiError, call, callForFile } from './errors';
export { ApiError, errorMessage, fieldErrorMessage, type DownloadedFile } from './errors';

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

export type PasswordChangeInput = InferRequestType<typeof api.auth.password.$post>['json'];
/** Ends every session of the account; this browser gets a new one. A wrong current password is a 400 field error. */
export const changePassword = (json: PasswordChangeInput) => call(() => api.auth.password.$post({ json }));

export const fetchMe = (options?: { redirectOnUnauthorized?: boolean }) => call(() => api.auth.me.$get(), options);

export const fetchWorkspace = (tenant: string) => call(() => tenantApi.$get({ param: { tenant } }));

export const fetchPipelines = (tenant: string) => call(() => tenantApi.pipelines.$get({ param: { tenant } }));

// ---------- opportunities, board, follow-ups ----------

const opportunitiesApi = tenantApi.opportunities;
const opportunityApi = opportunitiesApi[':id'];

type ListBody = InferResponseType<typeof opportunitiesApi.$get, 200>;
type BoardBody = InferResponseType<(typeof tenantApi.pipelines)[':pipelineId']['board']['$get'], 200>;
type CatalogBody = InferResponseType<typeof tenantApi.catalog.$get, 200>;
type ActivitiesBody = InferResponseType<(typeof opportunityApi.activities)['$get'], 200>;
type HistoryBody = InferResponseType<(typeof opportunityApi.history)['$get'], 200>;

export type OpportunityCard = ListBody['opportunities'][number];
export type Opportunity = InferResponseType<typeof opportunityApi.$get, 200>;
export type BoardStage = BoardBody['columns'][number]['stage'];
export type BoardColumn = BoardBody['columns'][number];
/** A board card: the fields a card shows and a move needs (a list card or a full record has them all). */
export type BoardCard = BoardColumn['opportunities'][number];
export type Board = { pipeline: BoardBody['pipeline']; columns: BoardColumn[] };
export type Catalog = CatalogBody;
export type Activity = ActivitiesBody['activities'][number];
export type StageChange = HistoryBody['history'][number];
export type CreateOpportunityInput = InferRequestType<typeof opportunitiesApi.$post>['json'];
export type PatchOpportunityInput = InferRequestType<typeof opportunityApi.$patch>['json'];
export type MoveOpportunityInput = InferRequestType<(typeof opportunityApi.move)['$post']>['json'];
export type CreateActivityInput = InferRequestType<(typeof opportunityApi.activities)['$post']>['json'];
export type PatchActivityInput = InferRequestType<(typeof opportunityApi.activities)[':activityId']['$patch']>['json'];

/** Board and list filters, as they appear in the page URL and the API query. */
export interface OpportunityFilter {
	ownerId?: string;
	typeId?: string;
	sourceId?: string;
	productId?: string;
	closeFrom?: string;
	closeTo?: string;
	q?: string;
}

export const fetchBoard = async (tenant: string, pipelineId: string, filter: OpportunityFilter, limit = 50): Promise<Board> =>
	(await call(() => tenantApi.pipelines[':pipelineId'].board.$get({ param: { tenant, pipelineId }, query: { ...filter, limit: String(limit) } }))) as Board;

export const fetchOpportunities = (
	tenant: string,
	query: OpportunityFilter & { pipelineId?: string; stageId?: string; status?: 'open' | 'won' | 'lost'; sort?: ListSort; direction?: 'asc' | 'desc'; cursor?: string; limit?: number },
) => {
	const { limit, ...rest } = query;
	return call(() => opportunitiesApi.$get({ param: { tenant }, query: { ...rest, ...(limit ? { limit: String(limit) } : {}) } }));
};
export type ListSort = NonNullable<InferRequestType<typeof opportunitiesApi.$get>['query']['sort']>;

export const fetchCatalog = (tenant: string) => call(() => tenantApi.catalog.$get({ param: { tenant } }));

export const fetchOpportunity = (tenant: string, id: string) => call(() => opportunityApi.$get({ param: { tenant, id } }));

export const createOpportunity = (tenant: string, json: CreateOpportunityInput) => call(() => opportunitiesApi.$post({ param: { tenant }, json }));

export const patchOpportunity = (tenant: string, id: string, json: PatchOpportunityInput) => call(() => opportunityApi.$patch({ param: { tenant, id }, json }));

export const moveOpportunity = (tenant: string, id: string, json: MoveOpportunityInput) => call(() => opportunityApi.move.$post({ param: { tenant, id }, json }));

export const fetchHistory = (tenant: string, id: string) => call(() => opportunityApi.history.$get({ param: { tenant, id } }));

export const fetchActivities = (tenant: string, id: string) => call(() => opportunityApi.activities.$get({ param: { tenant, id } }));

export const createActivity = (tenant: string, id: string, json: CreateActivityInput) => call(() => opportunityApi.activities.$post({ param: { tenant, id }, json }));

export const patchActivity = (tenant: string, id: string, activityId: string, json: PatchActivityInput) =>
	call(() => opportunityApi.activities[':activityId'].$patch({ param: { tenant, id, activityId }, json }));

/** Field names a stage can require (422 missingFields), plus the lost reason a lost stage needs. */
export type RequirableField = 'amount' | 'expectedCloseDate' | 'accountId' | 'primaryContactId' | 'typeId' | 'sourceId' | 'products' | 'notes' | 'lostReasonId';

/** What a refused move or create says: someone else's newer record (409) or the fields to ask for (422). */
export function conflictOf(error: unknown): Opportunity | null {
	return error instanceof ApiError && error.status === 409 && error.body.current ? (error.body.current as Opportunity) : null;
}

export function missingFieldsOf(error: unknown): RequirableField[] | null {
	return error instanceof ApiError && error.status === 422 && Array.isArray(error.body.missingFields) ? (error.body.missingFields as RequirableField[]) : null;
}

// ---------- accounts and contacts (the drawer's pickers) ----------

type AccountsBody = InferResponseType<typeof tenantApi.accounts.$get, 200>;
type ContactsBody = InferResponseType<typeof tenantApi.contacts.$get, 200>;
export type Account = AccountsBody['accounts'][number];
export type Contact = ContactsBody['contacts'][number];
export type CreateContactInput = InferRequestType<typeof tenantApi.contacts.$post>['json'];

export const fetchAccounts = (tenant: string, q: string, limit = 20) => call(() => tenantApi.accounts.$get({ param: { tenant }, query: { q, limit: String(limit) } }));

export const fetchContacts = (tenant: string, accountId: string, limit = 100) =>
	call(() => tenantApi.contacts.$get({ param: { tenant }, query: { accountId, limit: String(limit) } }));

export const createContact = (tenant: string, json: CreateContactInput) => call(() => tenantApi.contacts.$post({ param: { tenant }, json }));

// ---------- pipelines and stages administration (settings) ----------

type PipelineAdminApi = (typeof tenantApi.pipelines)[':pipelineId'];
export type AdminStage = InferResponseType<(typeof tenantApi.stages)[':stageId']['$patch'], 200>;
export type StageCreateInput = InferRequestType<PipelineAdminApi['stages']['$post']>['json'];
export type StageUpdateInput = InferRequestType<(typeof tenantApi.stages)[':stageId']['$patch']>['json'];

export const createPipeline = (tenant: string, name: string) => call(() => tenantApi.pipelines.$post({ param: { tenant }, json: { name } }));

export const updatePipeline = (tenant: string, pipelineId: string, json: { name?: string; position?: number }) =>
	call(() => tenantApi.pipelines[':pipelineId'].$patch({ param: { tenant, pipelineId }, json }));

export const archivePipeline = (tenant: string, pipelineId: string) => call(() => tenantApi.pipelines[':pipelineId'].$delete({ param: { tenant, pipelineId } }));

export const createStage = (tenant: string, pipelineId: string, json: StageCreateInput) =>
	call(() => tenantApi.pipelines[':pipelineId'].stages.$post({ param: { tenant, pipelineId }, json }));

export const updateStage = (tenant: string, stageId: string, json: StageUpdateInput) => call(() => tenantApi.stages[':stageId'].$patch({ param: { tenant, stageId }, json }));

export const reorderStages = (tenant: string, pipelineId: string, stageIds: string[]) =>
	call(() => tenantApi.pipelines[':pipelineId']['stage-order'].$put({ param: { tenant, pipelineId }, json: { stageIds } }));

export const deleteStage = (tenant: string, stageId: string, query: { moveTo?: string; lostReasonId?: string }) =>
	call(() => tenantApi.stages[':stageId'].$delete({ param: { tenant, stageId }, query }));

// ---------- workspace administration: catalogs, settings, audit log ----------

const catalogAdminApi = {
	'opportunity-types': tenantApi.catalog['opportunity-types'],
	sources: tenantApi.catalog.sources,
	'lost-reasons': tenantApi.catalog['lost-reasons'],
	products: tenantApi.catalog.products,
};
export type CatalogKind = keyof typeof catalogAdminApi;
export const CATALOG_KINDS = Object.keys(catalogAdminApi) as CatalogKind[];
type AdminEntriesBody = InferResponseType<typeof tenantApi.catalog.products.$get, 200>;
export type AdminCatalogEntry = AdminEntriesBody['entries'][number];
export type CatalogEntryCreate = InferRequestType<typeof tenantApi.catalog.products.$post>['json'];
export type CatalogEntryUpdate = InferRequestType<(typeof tenantApi.catalog.products)[':entryId']['$patch']>['json'];

export const fetchCatalogEntries = (tenant: string, kind: CatalogKind) => call(() => catalogAdminApi[kind].$get({ param: { tenant } }));
export const createCatalogEntry = (tenant: string, kind: CatalogKind, json: CatalogEntryCreate) => call(() => catalogAdminApi[kind].$post({ param: { tenant }, json }));
export const patchCatalogEntry = (tenant: string, kind: CatalogKind, entryId: string, json: CatalogEntryUpdate) =>
	call(() => catalogAdminApi[kind][':entryId'].$patch({ param: { tenant, entryId }, json }));
export const deleteCatalogEntry = (tenant: string, kind: CatalogKind, entryId: string) => call(() => catalogAdminApi[kind][':entryId'].$delete({ param: { tenant, entryId } }));
export const reorderCatalog = (tenant: string, kind: CatalogKind, ids: string[]) => call(() => catalogAdminApi[kind].order.$put({ param: { tenant }, json: { ids } }));

export type WorkspaceSettings = InferResponseType<typeof tenantApi.settings.$get, 200>;
export type WorkspaceSettingsUpdate = InferRequestType<typeof tenantApi.settings.$patch>['json'];
export const fetchSettings = (tenant: string) => call(() => tenantApi.settings.$get({ param: { tenant } }));
export const patchSettings = (tenant: string, json: WorkspaceSettingsUpdate) => call(() => tenantApi.settings.$patch({ param: { tenant }, json }));

type AuditQuery = InferRequestType<typeof tenantApi.audit.$get>['query'];
export type AuditEntry = InferResponseType<typeof tenantApi.audit.$get, 200>['entries'][number];
export const fetchAudit = (tenant: string, query: AuditQuery) => call(() => tenantApi.audit.$get({ param: { tenant }, query }));

// ---------- team: members, invitations, accepting an invitation ----------

type MembersBody = InferResponseType<typeof tenantApi.members.$get, 200>;
type InvitationsBody = InferResponseType<typeof tenantApi.invitations.$get, 200>;
export type Member = MembersBody['members'][number];
export type Invitation = InvitationsBody['invitations'][number];
export type InvitableRole = Invitation['role'];
export type InvitationPreview = InferResponseType<(typeof api.invitations)[':token']['$get'], 200>;
export type AcceptInvitationInput = NonNullable<InferRequestType<(typeof api.invitations)[':token']['accept']['$post']>['json']>;

export const fetchMembers = (tenant: string) => call(() => tenantApi.members.$get({ param: { tenant } }));

export const changeMemberRole = (tenant: string, userId: string, role: Role) => call(() => tenantApi.members[':userId'].$patch({ param: { tenant, userId }, json: { role } }));

export const removeMember = (tenant: string, userId: string, reassignTo?: string) =>
	call(() => tenantApi.members[':userId'].$delete({ param: { tenant, userId }, query: reassignTo ? { reassignTo } : {} }));

export const fetchInvitations = (tenant: string) => call(() => tenantApi.invitations.$get({ param: { tenant } }));

export const createInvitation = (tenant: string, json: { email: string; role: InvitableRole }) => call(() => tenantApi.invitations.$post({ param: { tenant }, json }));

export const revokeInvitation = (tenant: string, invitationId: string) => call(() => tenantApi.invitations[':invitationId'].$delete({ param: { tenant, invitationId } }));

/** The invite page is public: a 401 must not send the visitor to the login page. */
export const fetchInvitationPreview = (token: string) => call(() => api.invitations[':token'].$get({ param: { token } }), { redirectOnUnauthorized: false });

export const acceptInvitation = (token: string, json: AcceptInvitationInput) =>
	call(() => api.invitations[':token'].accept.$post({ param: { token }, json }), { redirectOnUnauthorized: false });

// ---------- API tokens (settings) ----------

type ApiTokensBody = InferResponseType<typeof tenantApi.tokens.$get, 200>;
export type ApiToken = ApiTokensBody['tokens'][number];
export type ApiTokenRole = ApiToken['role'];
export type CreatedApiToken = InferResponseType<typeof tenantApi.tokens.$post, 201>;
export type CreateApiTokenInput = InferRequestType<typeof tenantApi.tokens.$post>['json'];

export const fetchApiTokens = (tenant: string) => call(() => tenantApi.tokens.$get({ param: { tenant } }));

export const createApiToken = (tenant: string, json: CreateApiTokenInput) => call(() => tenantApi.tokens.$post({ param: { tenant }, json }));

export const revokeApiToken = (tenant: string, tokenId: string) => call(() => tenantApi.tokens[':tokenId'].$delete({ param: { tenant, tokenId } }));

// ---------- exports (files, not JSON) ----------

const exportsApi = tenantApi.exports;

/** The opportunities matching the list/board filters as CSV (the API applies "own only"). */
export const exportOpportunities = (tenant: string, query: OpportunityFilter & { pipelineId?: string; stageId?: string; status?: 'open' | 'won' | 'lost' }) =>
	callForFile(() => exportsApi['opportunities.csv'].$get({ param: { tenant }, query }));

/** The whole workspace as a ZIP (owners and admins). */
export const exportWorkspace = (tenant: string) => callForFile(() => exportsApi['workspace.zip'].$get({ param: { tenant } }));
