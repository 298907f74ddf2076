// Workspace slugs appear in URLs (/acme/board/…). Names are often Chinese, which has no ASCII
// transliteration here, so a name without enough latin letters gets a neutral "ws-" slug.
const MAX_BASE = 32;

// Slugs are the first path segment of SPA pages (/acme/board/…), so they must never shadow an
// app route, the API or static files.
const RESERVED = new Set([
  'api', 'app', '_app', 'assets', 'static', 'login', 'logout', 'signup', 'register', 'settings', 'admin',
  'invite', 'invitations', 'account', 'help', 'docs', 'status', 'favicon', 'robots', 'cdn-cgi', 'www',
]);

export function slugBase(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_BASE)
    .replace(/-+$/g, '');
  return ascii.length >= 3 && !RESERVED.has(ascii) ? ascii : ascii.length >= 3 ? `ws-${ascii}` : 'ws';
}

/** Appends a short random suffix, used when the plain base is taken. */
export function slugWithSuffix(base: string, suffix: string): string {
  return `${base}-${suffix}`;
}

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;
