// Accounts (customers) and contacts of one tenant. Built by tenantRepos; see scope.ts.
import type { RepoScope } from './scope';

export function accountRepo(_scope: RepoScope) {
  return {};
}

export function contactRepo(_scope: RepoScope) {
  return {};
}
