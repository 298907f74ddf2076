// One pipeline board: its columns with the cards loaded so far, and the moves made on it.
// Moves are optimistic: the card moves and the column figures adjust at once; the server's answer
// then replaces the card (200), or the board goes back to how it was (409 someone else changed it,
// 422 the target stage needs fields — the page asks for them and retries).
import {
	conflictOf,
	fetchBoard,
	fetchOpportunities,
	missingFieldsOf,
	moveOpportunity,
	type BoardColumn,
	type MoveOpportunityInput,
	type Opportunity,
	type BoardCard,
	type OpportunityFilter,
	type RequirableField,
} from '../api';

export type MoveOutcome =
	| { kind: 'moved'; card: BoardCard }
	| { kind: 'conflict'; current: Opportunity; previous: BoardCard }
	| { kind: 'missing'; fields: RequirableField[]; stageId: string; card: BoardCard; index: number }
	| { kind: 'failed'; error: unknown };

type Snapshot = { stageId: string; opportunities: BoardCard[]; count: number; amount: number; weightedAmount: number }[];

const PAGE_SIZE = 50;

/** A record as a board card (the move answers with the full record; it has every card field). */
function toCard(record: Opportunity | BoardCard): BoardCard {
	const { contacts: _contacts, products: _products, ...card } = record as Opportunity;
	return card;
}

export function weightOf(card: Pick<BoardCard, 'amount' | 'probability'>, stageProbability: number): number {
	return Math.round(((card.amount ?? 0) * (card.probability ?? stageProbability)) / 100);
}

export class BoardState {
	columns = $state<BoardColumn[] | null>(null);
	failure = $state<unknown>(null);
	loading = $state(false);
	/** Column (stage id) whose next page is loading. */
	loadingMore = $state<string | null>(null);
	/** Card ids with a move on its way to the server. */
	pending = $state<Record<string, true>>({});

	#generation = 0;
	#tenant: string;
	#pipelineId: string;
	#filter: OpportunityFilter;

	constructor(tenant: string, pipelineId: string, filter: OpportunityFilter) {
		this.#tenant = tenant;
		this.#pipelineId = pipelineId;
		this.#filter = filter;
	}

	get filter() {
		return this.#filter;
	}

	get pipelineId() {
		return this.#pipelineId;
	}

	async load() {
		const generation = ++this.#generation;
		this.loading = true;
		this.failure = null;
		try {
			const board = await fetchBoard(this.#tenant, this.#pipelineId, this.#filter, PAGE_SIZE);
			if (generation === this.#generation) this.columns = board.columns;
		} catch (error) {
			if (generation === this.#generation) this.failure = error;
		} finally {
			if (generation === this.#generation) this.loading = false;
		}
	}

	/** Fresh counts and amounts from the server (computed in SQL over every match), cards untouched. */
	async refreshFigures() {
		const generation = this.#generation;
		try {
			const board = await fetchBoard(this.#tenant, this.#pipelineId, this.#filter, 1);
			if (generation !== this.#generation || !this.columns) return;
			for (const fresh of board.columns) {
				const column = this.columns.find((candidate) => candidate.stage.id === fresh.stage.id);
				if (!column) continue;
				column.count = fresh.count;
				column.amount = fresh.amount;
				column.weightedAmount = fresh.weightedAmount;
			}
		} catch {
			// The optimistic figures stay; the next full load corrects them.
		}
	}

	async loadMore(stageId: string) {
		const column = this.column(stageId);
		if (!column?.nextCursor || this.loadingMore) return;
		this.loadingMore = stageId;
		try {
			const page = await fetchOpportunities(this.#tenant, {
				...this.#filter,
				pipelineId: this.#pipelineId,
				stageId,
				sort: 'position',
				direction: 'asc',
				limit: PAGE_SIZE,
				cursor: column.nextCursor,
			});
			// A card moved meanwhile may come twice; keep the one already shown.
			const known: Record<string, true> = Object.fromEntries(column.opportunities.map((card) => [card.id, true]));
			column.opportunities.push(...page.opportunities.filter((card) => !known[card.id]));
			column.nextCursor = page.nextCursor;
		} finally {
			this.loadingMore = null;
		}
	}

	column(stageId: string): BoardColumn | undefined {
		return this.columns?.find((candidate) => candidate.stage.id === stageId);
	}

	find(id: string): { column: BoardColumn; index: number; card: BoardCard } | null {
		for (const column of this.columns ?? []) {
			const index = column.opportunities.findIndex((card) => card.id === id);
			if (index >= 0) return { column, index, card: column.opportunities[index]! };
		}
		return null;
	}

	snapshot(): Snapshot {
		return (this.columns ?? []).map((column) => ({
			stageId: column.stage.id,
			opportunities: [...column.opportunities],
			count: column.count,
			amount: column.amount,
			weightedAmount: column.weightedAmount,
		}));
	}

	restore(snapshot: Snapshot) {
		for (const saved of snapshot) {
			const column = this.column(saved.stageId);
			if (!column) continue;
			column.opportunities = saved.opportunities;
			column.count = saved.count;
			column.amount = saved.amount;
			column.weightedAmount = saved.weightedAmount;
		}
	}

	/** Puts a card at `index` of a column in the loaded arrays (no figures, no server). */
	place(id: string, stageId: string, index: number) {
		const found = this.find(id);
		const target = this.column(stageId);
		if (!found || !target) return;
		found.column.opportunities.splice(found.index, 1);
		target.opportunities.splice(Math.max(0, Math.min(index, target.opportunities.length)), 0, found.card);
	}

	/** Adds a card created at the top of its column (quick-add), with the figures. */
	added(card: BoardCard) {
		const column = this.column(card.stageId);
		if (!column) return;
		column.opportunities.unshift(card);
		column.count += 1;
		column.amount += card.amount ?? 0;
		column.weightedAmount += weightOf(card, column.stage.probability);
		void this.refreshFigures();
	}

	replace(card: BoardCard) {
		const found = this.find(card.id);
		if (found) found.column.opportunities[found.index] = card;
	}

	/**
	 * Commits a move whose cards are already where the user dropped them (`before` is the board as
	 * it was before the drag): figures adjust, the server is told the neighbours, and the board
	 * goes back to `before` unless the server agrees.
	 */
	async commit(id: string, fromStageId: string, before: Snapshot, fields: Partial<MoveOpportunityInput> = {}): Promise<MoveOutcome> {
		const found = this.find(id);
		if (!found) return { kind: 'failed', error: new Error('card not on the board') };
		const { column, index, card } = found;
		const source = this.column(fromStageId);
		if (source && source !== column) {
			source.count -= 1;
			source.amount -= card.amount ?? 0;
			source.weightedAmount -= weightOf(card, source.stage.probability);
			column.count += 1;
			column.amount += card.amount ?? 0;
			column.weightedAmount += weightOf(card, column.stage.probability);
		}
		// The API places the card next to a neighbour; cards not loaded yet lie after the last one.
		const previous = column.opportunities[index - 1];
		const next = column.opportunities[index + 1];
		const neighbour = previous ? { afterId: previous.id } : next ? { beforeId: next.id } : {};
		this.pending[id] = true;
		try {
			const record = await moveOpportunity(this.#tenant, id, { stageId: column.stage.id, version: card.version, ...neighbour, ...fields });
			const moved = toCard(record);
			this.replace(moved);
			void this.refreshFigures();
			return { kind: 'moved', card: moved };
		} catch (error) {
			this.restore(before);
			const current = conflictOf(error);
			if (current) {
				this.replace(toCard(current));
				void this.refreshFigures();
				return { kind: 'conflict', current, previous: card };
			}
			const missing = missingFieldsOf(error);
			if (missing) return { kind: 'missing', fields: missing, stageId: column.stage.id, card, index };
			return { kind: 'failed', error };
		} finally {
			delete this.pending[id];
		}
	}

	/** Moves a card from wherever it is to `index` of a stage, then commits. */
	async moveTo(id: string, stageId: string, index: number, fields: Partial<MoveOpportunityInput> = {}): Promise<MoveOutcome> {
		const found = this.find(id);
		if (!found) return { kind: 'failed', error: new Error('card not on the board') };
		const before = this.snapshot();
		const from = found.column.stage.id;
		this.place(id, stageId, index);
		return this.commit(id, from, before, fields);
	}
}
