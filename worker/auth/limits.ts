// Attempt limits for logging in and signing up, counted in D1 over fixed windows (see
// identityRepo.countAttempt). A successful login gives its attempt back.
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
export const LOGIN_LIMIT_PER_ACCOUNT = 10;
export const LOGIN_LIMIT_PER_IP = 100;
export const SIGNUP_WINDOW_MS = 60 * 60 * 1000;
export const SIGNUP_LIMIT_PER_IP = 20;
/** Accepting invitations (which may create an account) is counted per address like signups. */
export const ACCEPT_LIMIT_PER_IP = 20;

/** The longest window: counters older than this can be purged. */
export const ATTEMPT_WINDOW_MAX_MS = Math.max(LOGIN_WINDOW_MS, SIGNUP_WINDOW_MS);
