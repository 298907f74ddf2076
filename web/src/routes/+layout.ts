// A single-page app: nothing is rendered on the server or prerendered; wrangler answers every
// unknown path with the fallback page (web/build/index.html) and the client router takes over.
export const ssr = false;
export const prerender = false;
