// Board and list filters live in the page URL (short keys), so reload and sharing keep them.
import type { OpportunityFilter } from '../api';

const KEYS: [keyof OpportunityFilter, string][] = [
	['ownerId', 'owner'],
	['typeId', 'type'],
	['sourceId', 'source'],
	['productId', 'product'],
	['closeFrom', 'from'],
	['closeTo', 'to'],
	['q', 'q'],
];

export function filterFromQuery(query: { get(name: string): string | null }): OpportunityFilter {
	const filter: OpportunityFilter = {};
	for (const [field, key] of KEYS) {
		const value = query.get(key)?.trim();
		if (value) filter[field] = value;
	}
	return filter;
}

export function filterToQuery(filter: OpportunityFilter): string {
	const query = new URLSearchParams();
	for (const [field, key] of KEYS) {
		const value = filter[field];
		if (value) query.set(key, value);
	}
	return query.toString();
}
