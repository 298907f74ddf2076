import { describe, expect, it } from 'vitest';
import {
  ABSOLUTE_TIMEOUT_MS, ACTIVITY_CHECK_INTERVAL_MS, INACTIVITY_TIMEOUT_MS, newSession, sessionMaxAgeSeconds, validateSessionToken,
  type SessionStore, type StoredSession,
} from '../../worker/auth/session';

function memoryStore() {
  const rows = new Map<string, StoredSession>();
  const store: SessionStore = {
    insertSession: async (s) => void rows.set(s.id, { ...s }),
    findSession: async (id) => (rows.has(id) ? { ...rows.get(id)! } : null),
    touchSession: async (id, at) => void (rows.get(id)!.lastVerifiedAt = at),
    deleteSession: async (id) => void rows.delete(id),
  };
  return { rows, store };
}

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

describe('session tokens', () => {
  it('carry at least 128 bits in the secret and 120 in the id', () => {
    const { token } = newSession('u1', T0);
    const [id, secret] = token.split('.');
    expect(id!.length * 5).toBeGreaterThanOrEqual(120);
    expect(secret!.length * 5).toBeGreaterThanOrEqual(128);
  });

  it('are never stored: the session keeps a SHA-256 hex of the secret', () => {
    const { token, session } = newSession('u1', T0);
    expect(session.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(session)).not.toContain(token.split('.')[1]);
  });

  it('validate while fresh', async () => {
    const { rows, store } = memoryStore();
    const { token, session } = newSession('u1', T0);
    await store.insertSession(session);
    const result = await validateSessionToken(store, token, T0 + HOUR / 2);
    expect(result.session?.userId).toBe('u1');
    expect(result.refreshed).toBe(false);
    expect(rows.get(session.id)!.lastVerifiedAt).toBe(T0);
  });

  it('slide forward after the activity interval', async () => {
    const { rows, store } = memoryStore();
    const { token, session } = newSession('u1', T0);
    await store.insertSession(session);
    const at = T0 + ACTIVITY_CHECK_INTERVAL_MS + 1;
    const result = await validateSessionToken(store, token, at);
    expect(result.refreshed).toBe(true);
    expect(rows.get(session.id)!.lastVerifiedAt).toBe(at);
  });

  it('end after the inactivity timeout and are deleted', async () => {
    const { rows, store } = memoryStore();
    const { token, session } = newSession('u1', T0);
    await store.insertSession(session);
    expect((await validateSessionToken(store, token, T0 + INACTIVITY_TIMEOUT_MS)).session).toBeNull();
    expect(rows.size).toBe(0);
  });

  it('end after the absolute timeout even when used every day', async () => {
    const { store } = memoryStore();
    const { token, session } = newSession('u1', T0);
    await store.insertSession(session);
    let at = T0;
    while (at + 24 * HOUR < T0 + ABSOLUTE_TIMEOUT_MS) {
      at += 24 * HOUR;
      expect((await validateSessionToken(store, token, at)).session).not.toBeNull();
    }
    expect((await validateSessionToken(store, token, T0 + ABSOLUTE_TIMEOUT_MS)).session).toBeNull();
  });

  it('reject a wrong secret and malformed tokens', async () => {
    const { store } = memoryStore();
    const { token, session } = newSession('u1', T0);
    await store.insertSession(session);
    const [id] = token.split('.');
    for (const bad of [`${id}.${'b'.repeat(32)}`, id!, '', '.', `${id}.`, `a.b.c`, `${'x'.repeat(500)}.y`]) {
      expect((await validateSessionToken(store, bad, T0)).session).toBeNull();
    }
  });

  it('give the cookie a Max-Age no longer than either timeout allows', () => {
    const { session } = newSession('u1', T0);
    expect(sessionMaxAgeSeconds(session, T0)).toBe(INACTIVITY_TIMEOUT_MS / 1000);
    const old = { ...session, lastVerifiedAt: T0 + ABSOLUTE_TIMEOUT_MS - HOUR };
    expect(sessionMaxAgeSeconds(old, T0 + ABSOLUTE_TIMEOUT_MS - HOUR)).toBe(3600);
  });
});
