// What every page under /[tenant] shares: who is logged in, the workspace (currency, locale,
// time zone) and its pipelines with per-stage totals. The [tenant] layout owns one instance and
// hands it down through context.
import { createContext } from 'svelte';
import { fetchMe, fetchPipelines, fetchWorkspace, type Me, type Pipeline, type Role, type Tenant } from '../api';
import { rememberWorkspace } from './last-workspace';

export class WorkspaceState {
	slug = $state('');
	me = $state<Me | null>(null);
	tenant = $state<Tenant | null>(null);
	role = $state<Role | null>(null);
	/** Failure loading the user or the workspace: the shell shows it instead of the page. */
	failure = $state<unknown>(null);

	pipelines = $state<Pipeline[] | null>(null);
	pipelinesFailure = $state<unknown>(null);
	pipelinesLoading = $state(false);

	// Answers that arrive after the user switched workspace are dropped.
	#generation = 0;

	/** Name to show before the workspace itself has loaded (the membership list knows it). */
	get name(): string | null {
		return this.tenant?.name ?? this.me?.workspaces.find((workspace) => workspace.slug === this.slug)?.name ?? null;
	}

	async open(slug: string) {
		const generation = ++this.#generation;
		this.slug = slug;
		this.tenant = null;
		this.role = null;
		this.failure = null;
		this.pipelines = null;
		this.pipelinesFailure = null;
		const [me, workspace] = await Promise.allSettled([this.me ? Promise.resolve(this.me) : fetchMe(), fetchWorkspace(slug)]);
		if (generation !== this.#generation) return;
		if (me.status === 'fulfilled') this.me = me.value;
		if (workspace.status === 'rejected') {
			this.failure = workspace.reason;
			return;
		}
		this.tenant = workspace.value.tenant;
		this.role = workspace.value.role;
		rememberWorkspace(slug);
		await this.loadPipelines();
	}

	async loadPipelines() {
		const generation = this.#generation;
		this.pipelinesLoading = true;
		this.pipelinesFailure = null;
		try {
			const { pipelines } = await fetchPipelines(this.slug);
			if (generation === this.#generation) this.pipelines = pipelines;
		} catch (error) {
			if (generation === this.#generation) this.pipelinesFailure = error;
		} finally {
			if (generation === this.#generation) this.pipelinesLoading = false;
		}
	}

	retry() {
		void this.open(this.slug);
	}
}

export const [getWorkspace, setWorkspace] = createContext<WorkspaceState>();
