// The pickers' contents for one tenant: members, opportunity types, sources, lost reasons, products.
import type { RepoScope } from './scope';

export function catalogRepo(_scope: RepoScope) {
  return {};
}
