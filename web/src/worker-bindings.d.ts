// The typed API client imports `AppType` from worker/app.ts, so this program also loads the
// Worker's modules. Their runtime types come from worker-configuration.d.ts, which cannot be
// included here: it redeclares Request, Response, fetch, … and clashes with the DOM lib.
//
// Route input/output types (all the client needs) never depend on these names, so the web
// program sees the Worker's runtime objects as untyped. The Worker itself is type-checked against
// the real declarations by the root tsconfig; `svelte-check --workspace web` checks the SPA and
// the client's view of the routes.
type D1Database = any;
type D1Result<_Row = unknown> = any;
type Queue<_Body = unknown> = any;
type Fetcher = any;
type MessageBatch<_Body = unknown> = any;
type ExecutionContext = any;
type ScheduledController = any;

interface Env {
	readonly [binding: string]: any;
}
