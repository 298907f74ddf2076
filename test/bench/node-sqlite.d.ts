// The slice of Node's built-in SQLite that the benchmark floor uses. This folder is type-checked
// with the Worker's types (it imports Worker code), which do not include Node's own modules.
declare module 'node:sqlite' {
  export class StatementSync {
    setReturnArrays(enabled: boolean): void;
    run(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
  }
  export class DatabaseSync {
    constructor(path: string, options?: { readOnly?: boolean });
    prepare(sql: string): StatementSync;
    exec(sql: string): void;
    close(): void;
  }
}

// …and the one process API it samples (the Worker's types have no `process`).
declare const process: { memoryUsage(): { heapUsed: number; rss: number } };
