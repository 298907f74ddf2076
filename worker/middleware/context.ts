import type { MiddlewareHandler } from 'hono';
import { createDatabase } from '../../db/client';
import type { AppEnv } from '../env';
import { identityRepo } from '../repos/identity';

export interface ContextOptions {
  /** Clock for the request; tests inject a fake one. */
  now?: () => number;
}

/** Sets up what every request needs: the identity repo and the clock. */
export function requestContext(options: ContextOptions = {}): MiddlewareHandler<AppEnv> {
  const now = options.now ?? Date.now;
  return async function requestContext(c, next) {
    c.set('identity', identityRepo(createDatabase(c.env.DB)));
    c.set('now', now);
    c.set('user', null);
    c.set('sessionId', null);
    c.set('apiToken', null);
    await next();
  };
}
