// What a card signals at a glance, from its timestamps and "now".

export type FollowUpSignal = 'overdue' | 'today' | 'planned' | 'none';

const DAY_MS = 86_400_000;

function calendarDay(instant: number, timeZone: string): string {
	// en-CA formats as YYYY-MM-DD.
	return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

/** Pipedrive's convention: red overdue, green due today, grey planned later, yellow nothing planned. */
export function followUpSignal(nextActivityAt: string | null, now: number, timeZone: string): FollowUpSignal {
	if (!nextActivityAt) return 'none';
	const due = Date.parse(nextActivityAt);
	if (due < now) return 'overdue';
	return calendarDay(due, timeZone) === calendarDay(now, timeZone) ? 'today' : 'planned';
}

export function daysInStage(stageEnteredAt: string, now: number): number {
	return Math.max(0, Math.floor((now - Date.parse(stageEnteredAt)) / DAY_MS));
}
