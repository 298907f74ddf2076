// The workspace a user opened last in this browser, so logging in returns them to it.
const STORAGE_KEY = 'jihui.lastWorkspace';

export function rememberWorkspace(slug: string) {
	try {
		localStorage.setItem(STORAGE_KEY, slug);
	} catch {
		// Storage unavailable (private mode): the first workspace will do.
	}
}

function lastWorkspace(): string | null {
	try {
		return localStorage.getItem(STORAGE_KEY);
	} catch {
		return null;
	}
}

/** The last used workspace if the user still belongs to it, else their first one. */
export function pickWorkspace<W extends { slug: string }>(workspaces: readonly W[]): W | undefined {
	const last = lastWorkspace();
	return workspaces.find((workspace) => workspace.slug === last) ?? workspaces[0];
}
