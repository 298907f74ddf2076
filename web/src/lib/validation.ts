// Client-side checks mirror the API's (worker/routes/auth.ts) so most mistakes are caught before
// a round trip, in the UI language. The server stays the authority.
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;
export const NAME_MAX_LENGTH = 80;
