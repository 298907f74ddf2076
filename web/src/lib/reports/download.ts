// The browser side of "Download CSV" (kept apart from csv.ts, which is pure and unit-tested).

/** Saves text as a file through a temporary object URL (no server round trip). */
export function downloadCsv(fileName: string, csv: string) {
	downloadBlob(fileName, new Blob([csv], { type: 'text/csv;charset=utf-8' }));
}

/** Saves a Blob (e.g. an export the API generated) as a file. */
export function downloadBlob(fileName: string, blob: Blob) {
	const url = URL.createObjectURL(blob);
	const link = document.createElement('a');
	link.href = url;
	link.download = fileName;
	link.rel = 'noopener';
	document.body.append(link);
	link.click();
	link.remove();
	// Revoke later: some browsers read the URL after click() returns.
	setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
