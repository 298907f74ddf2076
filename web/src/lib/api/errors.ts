// One place turns failed API calls into something the UI can show: every non-2xx answer is an
// RFC 9457 problem (worker/errors.ts) and becomes an ApiError; a request that never got an
// answer becomes an ApiError with status 0. A 401 sends the user to the login page.
import { goto } from '$app/navigation';
import { resolve } from '$app/paths';
import type { ClientResponse } from 'hono/client';
import type { SuccessStatusCode } from 'hono/utils/http-status';
import { en } from '../i18n/en';
import { t } from '../i18n/index.svelte';

export interface FieldError {
	path: string;
	message: string;
}

/** Status 0 means the server was not reached (offline, DNS, connection reset). */
export const NETWORK_ERROR = 'network_error';

export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		readonly detail: string | undefined,
		readonly fieldErrors: FieldError[] = [],
		/** Seconds to wait, from a 429's Retry-After. */
		readonly retryAfter: number | null = null,
		/** The server's id for this request, for support ("tell us the request id"). */
		readonly requestId: string | null = null,
		/** The whole problem document: extensions such as `current` (409) or `missingFields` (422). */
		readonly body: Record<string, unknown> = {},
	) {
		super(detail ?? code);
		this.name = 'ApiError';
	}

	/** The first message for a form field (paths are the request body's keys), in the UI language when known. */
	fieldError(path: string): string | undefined {
		const error = this.fieldErrors.find((candidate) => candidate.path === path);
		return error ? fieldErrorMessage(error) : undefined;
	}
}

type SuccessBody<R> = R extends ClientResponse<infer Body, infer Status, infer _Format> ? (Status extends SuccessStatusCode ? Body : never) : never;

interface CallOptions {
	/** Default true: a 401 means the session is gone, so go to the login page. */
	redirectOnUnauthorized?: boolean;
}

/**
 * Runs one typed client request and returns its success body, or throws ApiError.
 *
 * @example const { templates } = await call(() => api.templates.$get());
 */
export async function call<R extends ClientResponse<unknown, number, 'json' | 'text' | string>>(
	request: () => Promise<R>,
	{ redirectOnUnauthorized = true }: CallOptions = {},
): Promise<SuccessBody<R>> {
	let response: R;
	try {
		response = await request();
	} catch (error) {
		throw new ApiError(0, NETWORK_ERROR, error instanceof Error ? error.message : undefined);
	}
	if (response.ok) {
		if (response.status === 204) return undefined as SuccessBody<R>;
		try {
			return (await response.json()) as SuccessBody<R>;
		} catch {
			// Connection dropped mid-body, or a proxy answered with something that is not JSON.
			throw new ApiError(0, NETWORK_ERROR, 'The response could not be read.');
		}
	}
	const error = await problemFrom(response as unknown as Response);
	if (error.status === 401 && redirectOnUnauthorized) void redirectToLogin();
	throw error;
}

/** A downloaded file: its bytes and the name the server suggested (Content-Disposition). */
export interface DownloadedFile {
	blob: Blob;
	fileName: string | null;
}

/**
 * Fetches a file the API generates (an export): the body as a Blob, or ApiError like call().
 * Exports stream, so reading the body can fail after a 200: that is a network error too.
 */
export async function callForFile(request: () => Promise<Response>, { redirectOnUnauthorized = true }: CallOptions = {}): Promise<DownloadedFile> {
	let response: Response;
	try {
		response = await request();
	} catch (error) {
		throw new ApiError(0, NETWORK_ERROR, error instanceof Error ? error.message : undefined);
	}
	if (!response.ok) {
		const error = await problemFrom(response);
		if (error.status === 401 && redirectOnUnauthorized) void redirectToLogin();
		throw error;
	}
	let blob: Blob;
	try {
		blob = await response.blob();
	} catch {
		throw new ApiError(0, NETWORK_ERROR, 'The download was interrupted.');
	}
	const disposition = response.headers.get('Content-Disposition') ?? '';
	return { blob, fileName: /filename="([^"]+)"/.exec(disposition)?.[1] ?? null };
}

async function problemFrom(response: Response): Promise<ApiError> {
	let body: Record<string, unknown> = {};
	try {
		const parsed: unknown = await response.json();
		if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
	} catch {
		// Not a problem document (e.g. a gateway's HTML page): fall back to the status alone.
	}
	const code = typeof body.code === 'string' ? body.code : `http_${response.status}`;
	const detail = typeof body.detail === 'string' ? body.detail : undefined;
	const fieldErrors = Array.isArray(body.errors)
		? body.errors.filter((e): e is FieldError => typeof e?.path === 'string' && typeof e?.message === 'string')
		: [];
	const header = Number(response.headers.get('Retry-After'));
	const retryAfter = typeof body.retryAfter === 'number' ? body.retryAfter : Number.isFinite(header) && header > 0 ? header : null;
	const requestId = typeof body.requestId === 'string' ? body.requestId : null;
	return new ApiError(response.status, code, detail, fieldErrors, retryAfter, requestId, body);
}

let redirecting = false;

async function redirectToLogin() {
	if (redirecting || location.pathname === '/login') return;
	redirecting = true;
	const next = location.pathname + location.search;
	try {
		await goto(resolve(`/login?next=${encodeURIComponent(next)}`), { replaceState: true });
	} finally {
		redirecting = false;
	}
}

// Field errors carry no code, only the server's English sentence. The ones the API is known to
// send are translated here; any other falls through as the server wrote it.
const FIELD_MESSAGES: Record<string, () => string> = {
	'Enter a valid email address.': () => t('validation.email'),
	'Use at least 8 characters.': () => t('validation.passwordLength', { min: 8 }),
	'Enter your name.': () => t('validation.required'),
	'Name your workspace.': () => t('validation.required'),
	'Choose one of the templates.': () => t('validation.template'),
	'Enter your password.': () => t('validation.required'),
	'This password is too easy to guess. Choose another.': () => t('validation.passwordCommon'),
	'The current password is incorrect.': () => t('account.wrongCurrent'),
};

export function fieldErrorMessage(error: FieldError): string {
	return Object.hasOwn(FIELD_MESSAGES, error.message) ? FIELD_MESSAGES[error.message]!() : error.message;
}

type ProblemCode = keyof typeof en.errors.code;

function isTranslatedCode(code: string): code is ProblemCode {
	return Object.hasOwn(en.errors.code, code);
}

/**
 * The message to show for a failed call, in the UI language: our translation of the problem's
 * `code` when we have one, else the server's own `detail`.
 */
export function errorMessage(error: unknown): string {
	if (!(error instanceof ApiError)) return t('errors.unexpected');
	if (error.status === 0) return t('errors.network');
	let message = error.detail ?? t('errors.unexpected');
	if (isTranslatedCode(error.code)) {
		const minutes = Math.max(1, Math.ceil((error.retryAfter ?? 60) / 60));
		message = t(`errors.code.${error.code}`, { minutes });
	}
	// Server faults: the request id lets support find the log line.
	return error.status >= 500 && error.requestId ? `${message} ${t('errors.requestId', { id: error.requestId })}` : message;
}
